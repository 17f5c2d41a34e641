@settlement_visibility @to_netsuite
Feature: Refunds a storefront shows only once a settlement report includes them
  Some marketplaces release a refund to their API only when they generate the settlement report that
  contains it, days after the refund was made, and then list it under its own (earlier) date. A
  connector must not post what it cannot see yet, and must still find the refund once it appears,
  even though its date lies before the window the last scheduled run looked at. Each scenario runs
  for every registered storefront whose refunds are visible only after settlement.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario: A refund is not posted before its settlement report, and is posted once after it
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And the storefront holds its settlement reports
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And I retrieve the refunds of the order
    Then the connector has 0 refunds for the order
    And NetSuite has exactly 0 refunds for the order
    When the scheduled refund sync runs
    And the storefront generates the settlement report that contains the refund
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite has exactly 1 refund for the order

  Scenario: A refund seen only after settlement is retrieved by hand once it is released
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And the storefront holds its settlement reports
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds the whole order in the storefront
    And I retrieve the refunds of the order
    Then the connector has 0 refunds for the order
    When the storefront generates the settlement report that contains the refund
    And I retrieve the refunds of the order and post them to NetSuite
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite has exactly 1 refund for the order
