@prerequisites
Feature: Refund sync prerequisites
  Before refund sync is switched on, order sync must work and a test order must be billed in
  NetSuite: the billed record (Cash Sale or Invoice) is what a refund is made from. The connector
  refuses to activate refund sync until then, and its refusal lists everything that is missing.

  Scenarios run for every registered storefront whose capabilities fit their tags; the
  each_direction tag runs a scenario once per direction the storefront offers.

  @each_direction
  Scenario: Refund sync is refused while order sync is not active
    Given a storefront connected to NetSuite
    When I try to enable refund sync in the direction under test
    Then activation is refused for the unmet prerequisite order_sync_active
    And refund sync is off for the account

  @storefront
  Scenario: An account for a platform the connector does not sync is refused, naming the platforms it syncs
    Given a storefront connected to NetSuite
    When I try to add an account for the same store under a platform the connector does not sync
    Then adding the account is refused, naming every platform the connector syncs

  @storefront
  Scenario: The test order reaches NetSuite as the storefront sold it, to its buyer
    Given a storefront connected to NetSuite with order sync active
    And a paid test order with 3 units on line 1
    When I sync the test order to NetSuite
    Then NetSuite's sales order has the order's lines at the storefront's prices, discounts and tax
    And NetSuite's customer is the order's buyer, as far as the storefront tells who they are

  @storefront @unpaid_orders
  Scenario: An order whose payment is still pending reaches NetSuite without a payment method
    Given a storefront connected to NetSuite with order sync active
    And a test order whose payment is still pending
    When I sync the test order to NetSuite
    And the order is billed in NetSuite
    Then NetSuite billed the order as an invoice

  @each_direction
  Scenario: Refund sync is refused until the test order is billed in NetSuite
    Given a storefront connected to NetSuite with order sync active
    And a paid test order synced to NetSuite
    When I try to enable refund sync in the direction under test
    Then activation is refused for the unmet prerequisite test_order_billed
    And refund sync is off for the account

  @each_direction
  Scenario: Refund sync activates once a test order is billed
    Given a storefront connected to NetSuite with order sync active
    And a paid test order synced to NetSuite
    And the test order is billed in NetSuite
    When I enable refund sync in the direction under test
    Then refund sync runs in the direction under test for the account

  @each_direction
  Scenario: A test order that was never synced cannot satisfy the prerequisites
    Given a storefront connected to NetSuite with order sync active
    When I try to enable refund sync in the direction under test
    Then activation is refused for the unmet prerequisite test_order_synced

  @storefront @to_netsuite
  Scenario: An order with an item NetSuite does not know cannot be the test order
    Given a storefront connected to NetSuite with order sync active
    And a paid test order with an item NetSuite does not know
    When I sync the test order to NetSuite
    Then order sync fails, naming the item NetSuite does not know by its SKU
    When I try to enable refund sync to NetSuite
    Then activation is refused for the unmet prerequisite test_order_synced

  @each_direction
  Scenario: Refund sync needs a generic refund item for amount-only parts
    Given a storefront connected to NetSuite with the test order billed
    And the account has no generic refund item configured
    When I try to enable refund sync in the direction under test
    Then activation is refused for the unmet prerequisite generic_refund_item

  @storefront @to_netsuite
  Scenario: The generic refund item must be an Other Charge for Sale item
    Given a storefront connected to NetSuite with the test order billed
    And the account's generic refund item is an inventory item
    When I try to enable refund sync to NetSuite
    Then activation is refused for the unmet prerequisite generic_refund_item_other_charge
