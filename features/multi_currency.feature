@multi_currency
Feature: Orders paid in a currency other than the shop's
  A shop selling in one currency takes an order the customer pays in another. Every amount of such an
  order exists twice: in the shop's currency and in the one the customer paid. The order is synced to
  NetSuite in the currency the customer paid, so its refunds must be read, posted and pushed in that
  currency too: a connector reading the shop's figures posts them under the wrong currency. Each
  scenario runs for every registered storefront that takes such orders.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @to_netsuite
  Scenario: A refund of a two-currency order is posted to NetSuite in the currency the customer paid
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order in EUR at a shop selling in USD, synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront
    And the merchant refunds the shipping in the storefront
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And both sides hold the order's refunds in the currency the customer paid

  @from_netsuite
  Scenario: A NetSuite refund of a two-currency order is pushed to the storefront in the currency the customer paid
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order in EUR at a shop selling in USD, synced to NetSuite and billed as a cash sale
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And both sides hold the order's refunds in the currency the customer paid

  @to_netsuite
  Scenario: An exact two-currency order refunds exactly, in the currency the customer paid
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order in EUR at a shop selling in USD, synced to NetSuite and billed as a cash sale, with shipping 5.00 and tax rate 10% and these lines:
      | item | quantity | unit price | discount |
      | 1    | 2        | 20.00      | 4.00     |
      | 2    | 1        | 15.00      |          |
    When the merchant refunds 1 unit of line 1 in the storefront
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And both sides hold the order's refunds in the currency the customer paid
    And the storefront refunded 19.80 EUR in all for the order
    And NetSuite refunded 19.80 EUR in all for the order
