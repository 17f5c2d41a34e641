@shipped_lines_only
Feature: Only lines that have shipped can be refunded
  Some storefronts (marketplaces) refund an order line only once it has shipped. A refund made in
  NetSuite for a line that has not shipped yet cannot reach the storefront: the storefront refuses it,
  the connector shows the refusal naming the line and keeps the refund to try again, and once the line
  ships the next run pushes it, exactly once. A shipped line refunds as usual, beside an unshipped one.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @from_netsuite
  Scenario: A NetSuite refund of an unshipped line waits for the line to ship, then is pushed once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And line 1 of the next order is not shipped yet
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund shows an error containing "line 1"
    And the refund shows an error containing "Shipped"
    And the storefront has exactly 0 refunds for the order
    When the merchant ships line 1
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront has exactly 1 refund for the order
    And the refund totals match on both sides

  @from_netsuite
  Scenario: A NetSuite refund of a shipped line is pushed while another line waits to ship
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And line 2 of the next order is not shipped yet
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the storefront shows a line-item refund of the same lines
    And the refund totals match on both sides

  @to_netsuite
  Scenario: The storefront refuses to refund an unshipped line, and refunds it once it ships
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And line 1 of the next order is not shipped yet
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant tries to refund 1 unit of line 1 in the storefront
    Then the storefront refused the refund, naming line 1
    When the scheduled refund sync runs
    Then the connector retrieved no refund
    When the merchant ships line 1
    And the merchant refunds 1 unit of line 1 in the storefront
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the refund totals match on both sides
