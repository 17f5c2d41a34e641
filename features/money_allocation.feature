@money_allocation
Feature: Money split over refunds, lines and tax adds up
  A line refunded a unit at a time must give back, over all its refunds, exactly what the line paid:
  its amount and its tax. Each refund's share is what the units refunded so far are worth minus what
  the earlier refunds already took, so rounding each refund on its own (19.99 x 3 at 8.875% is 5.32 of
  tax, a third of it 1.77, three thirds 5.31) cannot lose or add a cent, and no cent has to land on the
  refund item to make the totals agree. From NetSuite the connector gives the storefront quantities and
  NetSuite's total, and the storefront prices the units itself: a refund's tax may be a cent from
  NetSuite's (its own rule decides which refund takes a line's odd cent), the line's tax over all its
  refunds may not. Runs for every storefront that refunds by line.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @line_items @to_netsuite
  Scenario: Three one-unit refunds to NetSuite refund all of the line's tax, at 8.875%
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 8.875% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 19.99      |
    When the merchant refunds line 1 one unit at a time in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 65.29 USD in all for the order
    And NetSuite refunded 65.29 USD in all for the order
    And NetSuite refunded 5.32 USD of tax in all for the order
    And each refund's lines add up to its total on both sides

  @line_items @to_netsuite
  Scenario: Three one-unit refunds to NetSuite refund no more tax than was charged, at 7.25%
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 7.25% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 33.33      |
    When the merchant refunds line 1 one unit at a time in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 107.24 USD in all for the order
    And NetSuite refunded 107.24 USD in all for the order
    And NetSuite refunded 7.25 USD of tax in all for the order
    And each refund's lines add up to its total on both sides

  @line_items @to_netsuite @sells_jpy
  Scenario: Three one-unit refunds to NetSuite in yen refund exactly the line's tax
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order in JPY synced to NetSuite and billed as a cash sale, with tax rate 9.24% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 1999       |
    When the merchant refunds line 1 one unit at a time in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 6551 JPY in all for the order
    And NetSuite refunded 6551 JPY in all for the order
    And NetSuite refunded 554 JPY of tax in all for the order
    And each refund's lines add up to its total on both sides

  @line_items @from_netsuite
  Scenario: Three one-unit refunds from NetSuite refund the whole line in the storefront, at 7.25%
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 7.25% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 33.33      |
    When a NetSuite user refunds line 1 one unit at a time on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order has status Posted
    And NetSuite refunded 107.24 USD in all for the order
    And the storefront refunded 107.24 USD in all for the order
    And NetSuite refunded 7.25 USD of tax in all for the order
    And the storefront refunded 7.25 USD of tax in all for the order
    And the storefront shows a line-item refund of the same lines
    And each refund's lines add up to its total on both sides

  @line_items @from_netsuite
  Scenario: Three one-unit refunds from NetSuite refund the whole line in the storefront, at 8.875%
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 8.875% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 19.99      |
    When a NetSuite user refunds line 1 one unit at a time on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order has status Posted
    And NetSuite refunded 65.29 USD in all for the order
    And the storefront refunded 65.29 USD in all for the order
    And NetSuite refunded 5.32 USD of tax in all for the order
    And the storefront refunded 5.32 USD of tax in all for the order
    And the storefront shows a line-item refund of the same lines
    And each refund's lines add up to its total on both sides

  @line_items @from_netsuite @sells_jpy
  Scenario: Three one-unit refunds from NetSuite in yen refund the whole line in the storefront
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order in JPY synced to NetSuite and billed as a cash sale, with tax rate 9.24% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 1999       |
    When a NetSuite user refunds line 1 one unit at a time on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order has status Posted
    And NetSuite refunded 6551 JPY in all for the order
    And the storefront refunded 6551 JPY in all for the order
    And NetSuite refunded 554 JPY of tax in all for the order
    And the storefront refunded 554 JPY of tax in all for the order
    And the storefront shows a line-item refund of the same lines
    And each refund's lines add up to its total on both sides
