@activation
Feature: Activating refund sync: one direction per account
  Refund sync is switched on per connector account with the Refund Sync button of one direction
  (Data Flows > Manage Data Syncs). Some connectors offer both buttons; enabling both is unsupported,
  because a refund synced one way would echo back and be refunded twice. Scenarios run for every
  registered storefront whose capabilities fit their tags.

  @both_directions
  Scenario: Enabling the second direction is refused and the first stays on
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    When I try to enable refund sync from NetSuite
    Then activation is refused for the unmet prerequisite other_direction_off
    And refund sync runs to NetSuite for the account

  @both_directions
  Scenario: Switching direction means turning the current one off first
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    When I turn refund sync off
    And I enable refund sync to NetSuite
    Then refund sync runs to NetSuite for the account

  @both_directions
  Scenario: Two accounts of the same storefront may sync refunds in opposite directions
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a second store of the storefront connected to NetSuite with the test order billed
    When I enable refund sync from NetSuite on the second account
    Then refund sync runs to NetSuite for the first account
    And refund sync runs from NetSuite for the second account

  @refund_webhooks @to_netsuite
  Scenario: Refund sync is refused, saying why, when the storefront refuses the refund webhook subscription
    Given a storefront connected to NetSuite with the test order billed
    And the storefront answers the next request to subscribe to refund webhooks with 403
    When I try to enable refund sync to NetSuite
    Then activation is refused for the unmet prerequisite refund_webhooks_subscribed
    And refund sync is off for the account

  @refund_webhooks @to_netsuite
  Scenario: Two accounts on one store syncing refunds to NetSuite share one webhook subscription
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a second account on the same store, with the test order billed
    And a paid order synced to NetSuite and billed as a cash sale
    When I enable refund sync to NetSuite on the second account
    And the merchant refunds 1 unit of line 1 in the storefront
    And the storefront delivers its refund webhooks once
    Then the refund webhook reached the connector once
    And the connector acknowledged every refund webhook delivery
    And the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @refund_webhooks @to_netsuite
  Scenario: Two accounts on one store syncing refunds to NetSuite: the webhook of a refund reaches the account that synced its order
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a second account on the same store, with the test order billed
    When I enable refund sync to NetSuite on the second account
    And the merchant refunds 1 unit of line 1 in the storefront
    And the storefront delivers its refund webhooks once
    Then the connector acknowledged every refund webhook delivery
    And the connector has retrieved 1 refund for the order
    And no other account recorded a refund of the order
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And no other account recorded a refund of the order

  @refund_webhooks @to_netsuite
  Scenario: Refund sync is refused, naming the storefront, when it cannot be reached to subscribe to refund webhooks
    Given a storefront connected to NetSuite with the test order billed
    And the storefront times out on the next request to subscribe to refund webhooks
    When I try to enable refund sync to NetSuite
    Then activation is refused for the unmet prerequisite refund_webhooks_subscribed
    And the refusal names the storefront
    And refund sync is off for the account

  # The article's FAQ, one scenario per question.
  @each_direction
  Scenario: FAQ - no feature flag is needed, only the Refund Sync button of one direction
    Given a storefront connected to NetSuite with the test order billed
    When I enable refund sync in the direction under test
    Then refund sync runs in the direction under test for the account
    And no other setting had to be changed to activate it

  @each_direction
  Scenario: FAQ - the prerequisites are order sync working and a test order billed in NetSuite
    Given a storefront connected to NetSuite
    When I try to enable refund sync in the direction under test
    Then activation is refused for the unmet prerequisites order_sync_active and test_order_synced

  @both_directions
  Scenario: FAQ - refund sync cannot run in both directions
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    When I try to enable refund sync to NetSuite
    Then activation is refused for the unmet prerequisite other_direction_off

  # Only where the connector sends tax per refunded line can NetSuite's own tax engine override it.
  @line_items @to_netsuite
  Scenario: FAQ - when amounts do not match, the mismatch is reported with its likely cause
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And NetSuite recalculates tax on refunds instead of keeping the connector's tax
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront
    And the scheduled refund sync runs
    Then reconciliation finds the refund totals differ
    And the mismatch is attributed to "NetSuite configuration"
