@listings
Feature: Refund sync through listings as real APIs answer them
  Real APIs cap the page a listing answers, so every listing a connector reads may span pages: a
  connector that reads only the first page misses orders and refunds. And a listing may lag behind the
  writes, as a search index does: a refund just made is not found by searching for it.
  Each scenario runs for every registered storefront whose capabilities fit its tags.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @storefront @to_netsuite
  Scenario: Listings of one record a page lose no refund on the way to NetSuite
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And every listing returns at most 1 record per page
    And 3 orders paid with 3 units on line 1, synced to NetSuite and billed as cash sales
    When the merchant refunds 1 unit of line 1 of each of those orders in the storefront, as an amount where it cannot refund by line
    And the merchant refunds 1 unit of line 1 of each of those orders in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of those orders is posted, once on each side

  @storefront @from_netsuite
  Scenario: Listings of one record a page lose no refund on the way from NetSuite
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And every listing returns at most 1 record per page
    And 3 orders paid with 3 units on line 1, synced to NetSuite and billed as cash sales
    When a NetSuite user refunds 1 unit of line 1 on the billed record of each of those orders
    And a NetSuite user refunds 1 unit of line 1 on the billed record of each of those orders
    And the scheduled refund sync runs
    And a NetSuite user refunds 1 unit of line 1 on the billed record of each of those orders
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of those orders is posted, once on each side

  @idempotent_refunds @from_netsuite
  Scenario: A lost answer and a lagging refund listing: only the idempotency key stops a second refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the storefront loses its answer to the next refund it creates
    And the storefront's refund listings lag 240 minutes behind its writes
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
