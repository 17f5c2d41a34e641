@scheduled_runs
Feature: What the connector does across scheduled runs
  A refund is rarely settled in one run: a system throttles, refuses for good, a worker dies holding
  a refund, a record cannot be read, a webhook comes twice, the direction is switched. These scenarios
  follow one refund over several scheduled runs (the clock moves 90 minutes a run, nothing waits) and
  count what each run sent, from the simulators' own journals. Each runs for every registered storefront
  whose capabilities fit its tags.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @storefront @to_netsuite
  Scenario: NetSuite throttles a refund's write: the run records an error, a later run posts it once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And NetSuite throttles the next request to create refund
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then the refund is in Error, saying why
    And NetSuite received 1 request to create refund
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite received 2 requests to create refund

  @storefront @from_netsuite
  Scenario: The storefront throttles a refund pushed from NetSuite: a later run pushes it once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the storefront throttles the next request to create refund
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund is in Error, saying why
    And the storefront received 1 request to create refund
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront received 2 requests to create refund

  @storefront @to_netsuite
  Scenario: NetSuite refuses a refund for good (closed period): later runs do not send it again, a person re-posts it
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And NetSuite refuses the next refund it creates because the accounting period is closed
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund shows an error containing "accounting period"
    And NetSuite received 1 request to create refund
    When I post the refund again
    Then every refund of the order is posted, once on each side
    And NetSuite received 2 requests to create refund

  @storefront @from_netsuite
  Scenario: The storefront refuses a pushed refund for good: later runs do not push it again
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the storefront answers the next request to create refund with 422
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund shows why the storefront refused it
    And the refund shows an error containing "Unprocessable"
    And the storefront received 1 request to create refund
    When I post the refund again
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront received 2 requests to create refund

  @each_direction
  Scenario: A worker that died holding a refund is left alone until its lease runs out, then taken over
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled in the direction under test
    And a paid order synced to NetSuite and billed as a cash sale
    When 1 unit of line 1 and the shipping are refunded at the source, as an amount where it cannot refund by line
    And a second worker of the connector claims the refund and dies before sending it
    And another worker of the connector runs the scheduled sync 5 minutes later
    And I try to post the refund again
    Then posting the refund is refused
    And the other side received no request to create refund
    And the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the other side received 1 request to create refund

  @refunds_per_order @to_netsuite
  Scenario: An order's refunds could not be read in one run: a later run posts them, though time moved the window on
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And the storefront answers the next request to list refunds with 500
    When the merchant refunds 1 unit of line 1 in the storefront
    And the scheduled refund sync runs
    Then the connector has 0 refunds for the order
    And the storefront received 1 request to list refunds
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @from_netsuite
  Scenario: A NetSuite refund that could not be read is pushed later, though newer refunds moved the window on
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And NetSuite answers the next request to read refund with 500
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the connector has 0 refunds for the order
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront has exactly 2 refunds for the order

  @refund_webhooks @to_netsuite
  Scenario: A refund webhook delivered twice, then again under new delivery ids, posts one refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks twice
    And the storefront sends its refund webhooks again, each as a new delivery
    Then the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    And the storefront sends its refund webhooks again, each as a new delivery
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite received 1 request to create refund
    And the connector acknowledged every refund webhook delivery

  @refund_webhooks @both_directions
  Scenario: After switching to sync from NetSuite, the webhooks of the refunds the connector pushes are acknowledged
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When I turn refund sync off
    And I enable refund sync from NetSuite
    And a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the storefront delivers its refund webhooks once
    And the scheduled refund sync runs
    Then the connector acknowledged every refund webhook delivery
    And every refund of the order is posted, once on each side
    And the storefront has exactly 1 refund for the order
    And NetSuite has exactly 1 refund for the order

  # Switched back before the storefront delivered the webhook of the refund the connector pushed: the
  # delivery now reaches an account syncing to NetSuite, and is the connector's own refund.
  @refund_webhooks @both_directions
  Scenario: After switching back to sync to NetSuite, the late webhook of a refund the connector pushed is acknowledged and not posted back
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When I turn refund sync off
    And I enable refund sync from NetSuite
    And a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And I turn refund sync off
    And I enable refund sync to NetSuite
    And the storefront delivers its refund webhooks once
    And the scheduled refund sync runs
    Then the connector acknowledged every refund webhook delivery
    And the storefront has exactly 1 refund for the order
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  @both_directions
  Scenario: After switching to sync from NetSuite, refunds the connector posted to NetSuite are not pushed back
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then NetSuite has exactly 1 refund for the order
    When I turn refund sync off
    And I enable refund sync from NetSuite
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront has exactly 1 refund for the order
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  @both_directions
  Scenario: After the storefront lost its answer to a pushed refund, switching to sync to NetSuite does not post it back
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the storefront loses its answer to the next refund it creates
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And I turn refund sync off
    And I enable refund sync to NetSuite
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront has exactly 1 refund for the order
    And NetSuite has exactly 1 refund for the order
    And the refund totals match on both sides

  @storefront @to_netsuite
  Scenario: A refund made before its order reached NetSuite is found by the first scheduled run
    Given a storefront connected to NetSuite with order sync active
    And a paid order that was never synced to NetSuite
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And 120 minutes pass
    And I sync the test order to NetSuite
    And the order is billed in NetSuite
    And I enable refund sync to NetSuite
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
