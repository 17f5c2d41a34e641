@store_credit_refunds @from_netsuite
Feature: Store credit refunds of gift-card orders
  The connector never refunds a gift card automatically. On storefronts that can give money back as
  store credit, the account's refund settings decide: with refund_gift_cards_as_store_credit on, the
  refund of an order paid by gift card is pushed as store credit (only a customer with an account can
  hold store credit, never a guest); with it off, the refund is not pushed and shows an error naming
  the setting, so the operator refunds it by hand.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario: With the setting on, a gift-card order's refund goes back as store credit
    Given a storefront connected to NetSuite with the test order billed
    And the account refunds gift-card orders as store credit
    And refund sync is enabled from NetSuite
    And an order paid by gift card synced to NetSuite and billed
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the storefront gave the whole refund back as store credit
    And the refund totals match on both sides

  Scenario: With the setting off, a gift-card order's refund is not pushed and names the setting
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And an order paid by gift card synced to NetSuite and billed
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund shows an error containing "refund_gift_cards_as_store_credit"
    And the storefront refunded nothing, leaving the refund to the operator

  Scenario: A guest's gift-card order cannot take store credit, even with the setting on
    Given a storefront connected to NetSuite with the test order billed
    And the account refunds gift-card orders as store credit
    And refund sync is enabled from NetSuite
    And a guest's order paid by gift card synced to NetSuite and billed
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund's error names the storefront order
    And the storefront refunded nothing, leaving the refund to the operator
