@buyer_requested_refunds @to_netsuite
Feature: Marketplace refunds reach NetSuite only when the buyer asked for them
  On a marketplace where the buyer must request a refund before the seller issues it, a refund made
  that way is listed by the storefront's API and syncs to NetSuite. A refund the seller makes without
  any buyer request is an external transaction: the API does not list it, so the connector cannot
  retrieve it and it must never reach NetSuite. Each scenario runs for every registered storefront
  that declares this rule.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario: A refund the buyer asked for is retrieved and posted
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the buyer asks for a refund and the merchant refunds 12.35 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  Scenario: A refund of returned items listed per line item posts its lines' amounts together
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with these lines:
      | item | quantity | unit price |
      | 1    | 2        | 19.99      |
      | 2    | 1        | 9.50       |
    When the buyer returns items of two lines and the merchant refunds 5.00 for line 1 and 7.35 for line 2 in one refund in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  Scenario: A seller refund nobody asked for never reaches NetSuite
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 12.35 in the storefront without a buyer request
    And I retrieve the refunds of the order
    And the scheduled refund sync runs
    Then the storefront's API lists no refund of the order, though 12.35 went back to the buyer
    And the connector retrieved no refund
    And NetSuite has exactly 0 refunds for the order
