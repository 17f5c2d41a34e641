@validation
Feature: Validating refund totals and lines
  The refund total in the storefront must equal the refund total in NetSuite, and where the
  storefront refunds by line the refunded items and quantities must match too. The connector does not
  control how NetSuite builds a refund record: when NetSuite's own configuration changes the amounts,
  reconciliation must catch it and say so. Scenarios run for every registered storefront whose
  capabilities fit their tags.

  @each_direction
  Scenario: Totals and lines match for a mixed refund of lines and shipping
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled in the direction under test
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When 2 units of line 1 and the shipping are refunded at the source, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund totals match on both sides
    And the refunded lines match where the storefront refunds by line

  @storefront @to_netsuite @sells_jpy
  Scenario: Totals match to the cent in a currency without minor units
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order in JPY synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then the refund totals match on both sides

  # Only where the connector sends tax per refunded line can NetSuite's own tax engine override it.
  @line_items @to_netsuite
  Scenario: A misconfigured NetSuite tax set-up is detected and attributed
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And NetSuite recalculates tax on refunds instead of keeping the connector's tax
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront
    And the scheduled refund sync runs
    Then reconciliation finds the refund totals differ
    And the mismatch names the storefront total, the NetSuite total and the difference
    And the mismatch is attributed to "NetSuite configuration"

  @line_items @to_netsuite
  Scenario: A line refunded for less money than it is worth posts the money that went back
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront, giving back 2.50 less
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @line_items @to_netsuite
  Scenario: A line refunded for its tax alone (a tax-exempt buyer) posts that line's tax
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 2 in the storefront, giving back only their tax
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @line_items @to_netsuite
  Scenario: A line refunded for more money than it is worth posts the extra on the refund item
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront, giving back 2.50 more
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @each_direction
  Scenario: With the same item on two lines, the line refunded is the line asked for
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled in the direction under test
    And a paid order with the same item on two lines synced to NetSuite and billed as a cash sale
    When 1 unit of line 2 and the shipping are refunded at the source, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
