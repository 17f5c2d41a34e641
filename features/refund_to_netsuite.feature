@to_netsuite
Feature: Refund sync to NetSuite
  A refund made in the storefront becomes, in NetSuite, what the Refund button would make from the
  order's billed record: a Cash Sale gets a Cash Refund, an Invoice gets a Credit Memo. Refunded lines
  keep their items and quantities; shipping and amount-only parts land on the generic refund items
  (Other Charge for Sale). The manual test is "Retrieve Refund/Return" by order id, then
  "Post Order to NetSuite"; success shows the status Posted.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario Outline: A refund on an order billed as a cash sale becomes a Cash Refund (<storefront>)
    Given a <storefront> store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And NetSuite has a Cash Refund created from the Cash Sale
    And the refunded lines match where the storefront refunds by line
    And the refund totals match on both sides

    Examples:
      | storefront |
      | Shopify    |
      | Square     |

  Scenario Outline: A refund on an order billed as an invoice becomes a Credit Memo (<storefront>)
    Given a <storefront> store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And an order on payment terms synced to NetSuite and billed as an invoice
    When the merchant refunds 1 unit of line 1 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And NetSuite has a Credit Memo created from the Invoice
    And the refund totals match on both sides

    Examples:
      | storefront |
      | Shopify    |
      | Square     |

  Scenario: A partial quantity refund keeps the refunded quantity
    Given a Shopify store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 2 units of line 1 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the NetSuite refund has the refunded lines and quantities
    And the refund totals match on both sides

  Scenario: A shipping refund lands on the shipping item
    Given a Shopify store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds the shipping in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And the NetSuite refund has a shipping line for the refunded shipping
    And the refund totals match on both sides

  Scenario Outline: A full refund refunds every line and the shipping (<storefront>)
    Given a <storefront> store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds the whole order in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And the refunded lines match where the storefront refunds by line
    And the refund totals match on both sides

    Examples:
      | storefront |
      | Shopify    |
      | Square     |

  Scenario Outline: Two partial refunds of one order post as two refunds (<storefront>)
    Given a <storefront> store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront
    And the merchant refunds 1 unit of line 1 in the storefront
    And the scheduled refund sync runs
    Then every refund of the order has status Posted
    And the refund totals match on both sides

    Examples:
      | storefront |
      | Shopify    |
      | Square     |

  Scenario: A storefront without line refunds posts an amount-only refund on the refund item
    Given a Square store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 12.35 as an amount in the storefront
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the NetSuite refund has a single line on the refund item
    And the refund totals match on both sides

  Scenario: A refund arriving by webhook is posted by the next scheduled run, once
    Given a Shopify store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront
    And the storefront delivers its refund webhooks twice
    Then the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  Scenario Outline: A refund on an order that was never synced shows an error a person can act on (<storefront>)
    Given a <storefront> store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order that was never synced to NetSuite
    When the merchant refunds 1 unit of line 1 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund shows an error containing "never synced"

    Examples:
      | storefront |
      | Shopify    |
      | Square     |

  Scenario Outline: A refund on an order not billed yet errors, then posts once the order is billed (<storefront>)
    Given a <storefront> store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite but not billed
    When the merchant refunds 1 unit of line 1 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund shows an error containing "not billed"
    When the order is billed in NetSuite
    And I post the refund again
    Then the refund has status Posted
    And the refund totals match on both sides

    Examples:
      | storefront |
      | Shopify    |
      | Square     |
