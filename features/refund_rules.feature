@refund_rules
Feature: Each storefront's own rule for splitting a line over refunds
  Beside each storefront that refunds by line, the registry declares how its own refunds split a line's
  amount and tax when the line is refunded a few units at a time (`unit_allocation` in
  harness/platforms/<name>.py; `refund-harness storefronts` shows it). Each rule has a scenario named
  after it, tagged with it, that runs for every storefront declaring that rule: it holds the declaration
  to the storefront and checks the connector posts each refund's tax to NetSuite as the storefront split
  it. The order is the same for every rule: 3 x 19.99 and 3 x 33.33 at 8.875% (line tax 5.32 and 8.87),
  refunded one unit at a time, line 1 first; the three rules split it three different ways.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @cumulative_unit_allocation @to_netsuite
  Scenario: Cumulative unit allocation: a refund takes what the units so far are worth minus what earlier refunds took
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 8.875% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 19.99      |
      | 2    | 3        | 33.33      |
    When the merchant refunds line 1 one unit at a time in the storefront
    And the merchant refunds line 2 one unit at a time in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront's refunds took 1.77, 1.78, 1.77, 2.96, 2.95, 2.96 USD of tax, in the order they were made
    And NetSuite's refunds took the same tax as the storefront's, refund for refund
    And NetSuite refunded 14.19 USD of tax in all for the order

  @per_unit_unit_allocation @to_netsuite
  Scenario: Per-unit allocation: the line is split per unit once and the earliest units take the odd cents
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 8.875% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 19.99      |
      | 2    | 3        | 33.33      |
    When the merchant refunds line 1 one unit at a time in the storefront
    And the merchant refunds line 2 one unit at a time in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront's refunds took 1.78, 1.77, 1.77, 2.96, 2.96, 2.95 USD of tax, in the order they were made
    And NetSuite's refunds took the same tax as the storefront's, refund for refund
    And NetSuite refunded 14.19 USD of tax in all for the order

  @share_of_remaining_unit_allocation @to_netsuite
  Scenario: Share-of-remaining allocation: a refund takes its units' share of what is left of the line
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 8.875% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 19.99      |
      | 2    | 3        | 33.33      |
    When the merchant refunds line 1 one unit at a time in the storefront
    And the merchant refunds line 2 one unit at a time in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront's refunds took 1.77, 1.78, 1.77, 2.96, 2.96, 2.95 USD of tax, in the order they were made
    And NetSuite's refunds took the same tax as the storefront's, refund for refund
    And NetSuite refunded 14.19 USD of tax in all for the order
