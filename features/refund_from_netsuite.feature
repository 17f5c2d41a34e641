@from_netsuite
Feature: Refund sync from NetSuite
  A Cash Refund or Credit Memo created in NetSuite from the billed record of an order the connector
  synced goes to the storefront: by line where the storefront can refund by line, otherwise as a
  general (amount-only) refund of the same total. Refunds that did not come from such an order are
  left alone, and a refund already pushed is never sent again. Each scenario runs for every
  registered storefront that offers refund sync from NetSuite and fits its tags.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @split_tender
  Scenario: A refund of an order paid with two payments goes back on the payment that can take it
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order split over two card payments, the first of 1.00, synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront has exactly 1 refund for the order
    And the refund totals match on both sides

  @split_tender
  Scenario: A refund no single payment of a two-payment order can take is refused, saying why
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order split over two card payments, the first of 1.00, synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds the whole billed record
    And the scheduled refund sync runs
    Then the refund shows why the storefront refused it
    And the storefront refunded nothing, leaving the refund to the operator

  @line_items
  Scenario: A Cash Refund of one line is pushed as a line-item refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the storefront shows a line-item refund of the same lines
    And the refund totals match on both sides

  @line_items
  Scenario: A Cash Refund of a whole line and money besides gives the extra back on the lines with room left
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 2 units on line 1
    When a NetSuite user refunds 2 units of line 1 on the billed record and 5.00 more on the refund item
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the refund totals match on both sides

  @line_items
  Scenario: A Cash Refund of a whole line for less than it is worth gives back less on the line
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 2 units on line 1
    When a NetSuite user refunds 2 units of line 1 on the billed record for 5.00 before tax
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the refund totals match on both sides

  @storefront
  Scenario: A NetSuite refund of money the storefront already gave back shows the storefront's refusal
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds the whole order in the storefront
    And a NetSuite user refunds the whole billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund shows why the storefront refused it
    And the storefront has exactly 1 refund for the order

  @line_items
  Scenario: A Cash Refund whose lines lack the storefront line column is pushed by line, through the billed record
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds 1 unit of line 1 on the billed record, on a form without the storefront line column
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the storefront shows a line-item refund of the same lines
    And the refund totals match on both sides

  @storefront
  Scenario: A Credit Memo with shipping is pushed with its shipping
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And an order on payment terms synced to NetSuite and billed as an invoice
    When a NetSuite user refunds 1 unit of line 1 and the shipping on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the refunded lines match where the storefront refunds by line
    And each refund's lines add up to its total on both sides
    And the refund totals match on both sides

  # A line a user adds by hand carries no storefront line id: it is the order's shipping because it is
  # on the account's shipping item. NetSuite taxes it at its tax engine's rate, not as the order was.
  @line_items
  Scenario: Shipping a NetSuite user adds by hand on the shipping item goes back as the order's shipping
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And NetSuite's tax engine taxes the lines a user adds at 8.25%
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 8.25% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
    When a NetSuite user refunds 1 unit of line 1 on the billed record and 7.50 of shipping on a line added by hand
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the storefront gave back the shipping NetSuite refunded as the order's shipping
    And the refunded lines match where the storefront refunds by line
    And the refund totals match on both sides

  # Where the storefront takes each charge's tax as given, the shipping carries NetSuite's tax; where
  # it taxes the shipping itself, it records the difference beside the lines. Either way the item
  # lines give back what NetSuite refunded on them, and the refund NetSuite's total.
  @line_items
  Scenario: Shipping added by hand that NetSuite taxes unlike the order leaves the item lines as NetSuite refunded them
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And NetSuite's tax engine taxes the lines a user adds at 0%
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 8.25% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
    When a NetSuite user refunds 1 unit of line 1 on the billed record and 7.50 of shipping on a line added by hand
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the refunded lines match where the storefront refunds by line
    And the refund totals match on both sides

  # Storefronts differ here: one gives the money back beside the lines, another refuses to refund
  # shipping the order never charged. Either way nothing is lost or refunded in silence.
  @line_items
  Scenario: Shipping a NetSuite user refunds on an order that charged none is given back in full or refused, saying so
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 8.25% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
    When a NetSuite user refunds 1 unit of line 1 on the billed record and 5.00 of shipping on a line added by hand
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund is posted for NetSuite's total, or the storefront refused it with an error containing "shipping"

  @general_refunds @async_settlement
  Scenario: A Cash Refund is pushed as a general refund of the same total, posted once it settles
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the storefront shows a general refund of the same total
    And the refund is waiting for the storefront to complete it
    When the scheduled refund sync runs
    Then the refund has status Posted
    And the refund totals match on both sides

  @storefront
  Scenario: A full refund in NetSuite is read and pushed once, however often the sync runs
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When a NetSuite user refunds the whole billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront has exactly 1 refund for the order
    And the refund totals match on both sides
    And NetSuite received 1 request to read refund

  @storefront
  Scenario: A NetSuite refund retrieved by hand by the order's id is pushed when posted
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And I retrieve the refunds of the order and post them to the storefront
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront has exactly 1 refund for the order

  @storefront
  Scenario: A refund on an order the connector did not sync is left alone
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And an order entered directly in NetSuite and billed as a cash sale
    When a NetSuite user refunds the whole billed record
    And the scheduled refund sync runs
    Then the connector retrieved no refund

  # Switched right after the run that pushed it: the first run towards NetSuite looks back past its
  # own start (for refunds stamped late), so it sees the refund the connector just pushed.
  @both_directions
  Scenario: After switching to sync towards NetSuite, a refund the connector pushed does not come back
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the storefront has exactly 1 refund for the order
    When I turn refund sync off
    And I enable refund sync to NetSuite
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  @storefront
  Scenario: A standalone credit memo for the order's customer is left alone
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And a NetSuite user enters a standalone credit memo for the order's customer
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the connector retrieved no refund
    And the storefront has exactly 0 refunds for the order

  @async_settlement
  Scenario: A refund pushed to the storefront that its payment processor fails is not posted
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And the storefront keeps its refunds pending until told
    And a paid order synced to NetSuite and billed as a cash sale
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund is waiting for the storefront to complete it
    When the storefront's payment processor fails the refund the connector pushed
    And the scheduled refund sync runs
    Then the refund's error names the storefront
    And the storefront refunded nothing, leaving the refund to the operator
