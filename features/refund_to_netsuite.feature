@to_netsuite
Feature: Refund sync to NetSuite
  A refund made in the storefront becomes, in NetSuite, what the Refund button would make from the
  order's billed record: a Cash Sale gets a Cash Refund, an Invoice gets a Credit Memo. Refunded lines
  keep their items and quantities; shipping and amount-only parts land on the generic refund items
  (Other Charge for Sale). The manual test is "Retrieve Refund/Return" by order id, then
  "Post Order to NetSuite"; success shows the status Posted. Each scenario runs for every registered
  storefront that offers refund sync to NetSuite and fits its tags.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @storefront
  Scenario: A refund on an order billed as a cash sale becomes a Cash Refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And NetSuite has a Cash Refund created from the Cash Sale
    And the refunded lines match where the storefront refunds by line
    And the refund totals match on both sides

  @storefront
  Scenario: A refund on an order billed as an invoice becomes a Credit Memo
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And an order on payment terms synced to NetSuite and billed as an invoice
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And NetSuite has a Credit Memo created from the Invoice
    And the refund totals match on both sides

  @line_items
  Scenario: A partial quantity refund keeps the refunded quantity
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 2 units of line 1 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the NetSuite refund has the refunded lines and quantities
    And the refund totals match on both sides

  @shipping_refunds
  Scenario: A shipping refund lands on the shipping item
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds the shipping in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And the NetSuite refund has a shipping line for the refunded shipping
    And the refund totals match on both sides

  @storefront
  Scenario: A full refund refunds every line and the shipping
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds the whole order in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
    And the refunded lines match where the storefront refunds by line
    And the refund totals match on both sides

  @shipping_refunds
  Scenario: Without a shipping item configured, a shipping refund lands on the refund item
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And the account's shipping item is no longer configured
    When the merchant refunds the shipping in the storefront
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the NetSuite refund has a single line on the refund item

  @storefront
  Scenario: Two partial refunds of one order post as two refunds
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then every refund of the order has status Posted
    And the refund totals match on both sides

  @amount_refunds
  Scenario: An amount-only refund posts on the refund item
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 12.35 as an amount in the storefront
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the NetSuite refund has a single line on the refund item
    And the refund totals match on both sides

  @refund_webhooks
  Scenario: A refund arriving by webhook is posted by the next scheduled run, once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks twice
    Then the connector has retrieved 1 refund for the order
    And the connector acknowledged every refund webhook delivery
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  @refund_webhooks @shipping_refunds
  Scenario: A shipping refund arriving by webhook is posted with the shipping's tax
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds the shipping in the storefront
    And the storefront delivers its refund webhooks once
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the NetSuite refund has a shipping line for the refunded shipping
    And the refund totals match on both sides

  @refund_webhooks @line_items
  Scenario: A line refunded for less money than it is worth, arriving by webhook, is taken at once and posts the money that went back
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront, giving back 2.50 less
    And the storefront delivers its refund webhooks once
    Then the connector acknowledged every refund webhook delivery
    And the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront
  Scenario: A refund on an order that was never synced shows an error a person can act on
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order that was never synced to NetSuite
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund's error names the storefront order

  @storefront
  Scenario: A refund on an order not billed yet errors, then posts once the order is billed
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite but not billed
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund's error names the order's sales order by its number
    When the order is billed in NetSuite
    And I post the refund again
    Then the refund has status Posted
    And the refund totals match on both sides

  @storefront
  Scenario: A canceled refund is not posted by scheduled runs, and posts once uncanceled
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order
    And I cancel the refund
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Canceled
    And NetSuite has exactly 0 refunds for the order
    When I uncancel the refund
    And the scheduled refund sync runs
    Then the refund has status Posted
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  @async_settlement
  Scenario: A storefront refund that stays pending is not posted, and never is once it fails
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And the storefront keeps its refunds pending until told
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then NetSuite has exactly 0 refunds for the order
    When the storefront's refunds of the order fail
    And the scheduled refund sync runs
    Then the refund's error names the storefront
    And NetSuite has exactly 0 refunds for the order

  @storefront
  Scenario: A refund of an order on payment terms not billed yet errors, then posts as a Credit Memo once invoiced
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And an order on payment terms synced to NetSuite but not billed
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund's error names the order's sales order by its number
    When the order is billed in NetSuite
    And I post the refund again
    Then the refund has status Posted
    And NetSuite has a Credit Memo created from the Invoice
    And the refund totals match on both sides

  @storefront
  Scenario: Posting a canceled refund by hand is refused and sends nothing, until it is uncanceled
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order
    And I cancel the refund
    And I try to post the refund again
    Then posting the refund is refused
    And the refund has status Canceled
    And NetSuite has exactly 0 refunds for the order
    When I uncancel the refund
    And I post the refund again
    Then every refund of the order is posted, once on each side

  @storefront
  Scenario: With two accounts on the same store syncing refunds, a refund reaches NetSuite once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a second account on the same store, with the test order billed
    When I enable refund sync to NetSuite on the second account
    And the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite has exactly 1 refund for the order
    And each account lists only its own refunds

  @both_directions
  Scenario: A refund another account of the store pushed from NetSuite is not posted back to NetSuite
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a second account on the same store, with the test order billed
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the second account syncs the order too
    When I enable refund sync to NetSuite on the second account
    And a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront has exactly 1 refund for the order
    And NetSuite has exactly 1 refund for the order
