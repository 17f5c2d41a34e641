@exchanges @to_netsuite
Feature: An exchange syncs only its refund
  An exchange is a return plus a new sale; the connector handles them as two separate transactions,
  as NetSuite does. If the exchange produces a refund and refund sync is on, that refund syncs; the
  return records of the exchange do not. On a storefront whose exchanges can leave a refund, the
  exchange is settled by a refund that lists the returned lines at their value but gives back in
  money only the balance in the customer's favour: NetSuite must get that balance, once, and nothing
  for the return itself (which stays visible in the storefront's API).

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario: An exchange for a cheaper item posts exactly one refund of the balance, nothing for the return
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the customer exchanges 1 unit of line 1 in the storefront for an item worth 5.00 less
    And the scheduled refund sync runs
    Then the refund has status Posted
    And NetSuite's refund of the order is the exchange's balance of 5.00
    And the refund totals match on both sides

  Scenario: An even exchange posts nothing
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the customer exchanges 1 unit of line 1 in the storefront for an item worth the same
    And the scheduled refund sync runs
    Then the storefront gave back no money for the exchange
    And NetSuite has exactly 0 refunds for the order
