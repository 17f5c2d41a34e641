@read_only_refunds
Feature: Storefronts whose refunds are read-only
  Some storefronts (marketplaces) let the connector read refunds through their API but never create
  one: the merchant refunds in the storefront's own admin. Refund sync from NetSuite cannot work for
  such an account, so the connector refuses to activate it and says why; refunds made in the
  storefront still reach NetSuite. Each scenario runs for every registered storefront whose refunds
  are read-only.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario: Refund sync towards a storefront that cannot create refunds is refused, saying why
    Given a storefront connected to NetSuite with the test order billed
    When I try to turn on refund sync from NetSuite, which the storefront cannot take
    Then activation is refused for the unmet prerequisite storefront_creates_refunds
    And refund sync is off for the account

  Scenario: A merchant refund made in the storefront is posted to NetSuite once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite has exactly 1 refund for the order
