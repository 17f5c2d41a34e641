@prerequisites
Feature: Refund sync prerequisites
  Before refund sync is switched on, order sync must work and a test order must be billed in
  NetSuite: the billed record (Cash Sale or Invoice) is what a refund is made from. The connector
  refuses to activate refund sync until then, and its refusal lists everything that is missing.

  Scenario Outline: Refund sync is refused while order sync is not active on <storefront>
    Given a <storefront> store connected to NetSuite
    When I try to enable refund sync to NetSuite
    Then activation is refused because "order sync is not active"
    And refund sync is off for the account

    Examples:
      | storefront |
      | Shopify    |
      | Square     |

  Scenario Outline: Refund sync is refused until the test order is billed in NetSuite (<storefront>, <direction>)
    Given a <storefront> store connected to NetSuite with order sync active
    And a paid test order synced to NetSuite
    When I try to enable refund sync <direction>
    Then activation is refused because "billed"
    And refund sync is off for the account

    Examples:
      | storefront | direction      |
      | Shopify    | to NetSuite    |
      | Shopify    | from NetSuite  |
      | Square     | to NetSuite    |
      | Square     | from NetSuite  |

  Scenario Outline: Refund sync activates once a test order is billed (<storefront>, <direction>)
    Given a <storefront> store connected to NetSuite with order sync active
    And a paid test order synced to NetSuite
    And the test order is billed in NetSuite
    When I enable refund sync <direction>
    Then refund sync runs <direction> for the account

    Examples:
      | storefront | direction      |
      | Shopify    | to NetSuite    |
      | Shopify    | from NetSuite  |
      | Square     | to NetSuite    |
      | Square     | from NetSuite  |

  Scenario: A test order that was never synced cannot satisfy the prerequisites
    Given a Shopify store connected to NetSuite with order sync active
    When I try to enable refund sync from NetSuite
    Then activation is refused because "no test order"

  Scenario: An order with an item NetSuite does not know cannot be the test order
    Given a Shopify store connected to NetSuite with order sync active
    And a paid test order with an item NetSuite does not know
    When I sync the test order to NetSuite
    Then order sync fails because "has no NetSuite item"
    When I try to enable refund sync to NetSuite
    Then activation is refused because "no test order"

  Scenario: Refund sync needs a generic refund item for amount-only parts
    Given a Shopify store connected to NetSuite with the test order billed
    And the account has no generic refund item configured
    When I try to enable refund sync to NetSuite
    Then activation is refused because "generic refund item is not configured"

  Scenario: The generic refund item must be an Other Charge for Sale item
    Given a Shopify store connected to NetSuite with the test order billed
    And the account's generic refund item is an inventory item
    When I try to enable refund sync to NetSuite
    Then activation is refused because "not an Other Charge for Sale item"
