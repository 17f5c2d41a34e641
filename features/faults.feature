@faults
Feature: Refund sync through the faults real systems have
  Storefronts and NetSuite fail the way real services do: an error on a page of a listing, an answer
  lost after the write happened, throttling, a clock running behind. A connector may fail a run, but
  never a refund: every scenario ends with every refund posted exactly once and every line matching.
  Each scenario runs for every registered storefront whose capabilities fit its tags.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @storefront @to_netsuite
  Scenario: A failed refund listing loses no refund: a later run finds it
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And the first page of the storefront's refund listing fails with 503
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @to_netsuite
  Scenario: NetSuite loses its answer after creating a refund that took every line's last unit
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And NetSuite loses its answer to the next refund it creates
    When the merchant refunds the whole order in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @to_netsuite
  Scenario: NetSuite says a refund already exists that its lookup missed: the connector links that refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And NetSuite loses its answer to the next refund it creates
    And NetSuite answers the next 2 requests to read refund with 404
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And NetSuite has exactly 1 refund for the order
    And NetSuite received 2 requests to create refund
    And the refund totals match on both sides

  @storefront @from_netsuite
  Scenario: The storefront loses its answer after creating a refund pushed from NetSuite
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the storefront loses its answer to the next refund it creates
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @async_settlement @from_netsuite
  Scenario: A refund pushed from NetSuite whose answer was lost waits while the storefront settles it
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And the storefront keeps its refunds pending until told
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the storefront loses its answer to the next refund it creates
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund is waiting for the storefront to complete it
    When the storefront's payment processor fails the refund the connector pushed
    And the scheduled refund sync runs
    Then the refund's error names the storefront
    And the storefront refunded nothing, leaving the refund to the operator

  @storefront @to_netsuite
  Scenario: NetSuite throttles a run; a later run posts the refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And NetSuite answers the next 2 requests with 429
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @to_netsuite
  Scenario: The storefront throttles its refund listing; a later run posts the refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And the storefront answers the next request to list refunds with 429 and Retry-After 2
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @to_netsuite
  Scenario: A retrieve the storefront refuses for the connector's credentials is refused, naming the storefront
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And the storefront answers the next request to read order with 403
    When I try to retrieve the refunds of the order
    Then retrieving is refused, naming the storefront that refused it

  @storefront @from_netsuite
  Scenario: A push the storefront refused with 503 is pushed once by later runs
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And the storefront answers the next request to create refund with 503
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @to_netsuite
  Scenario: An order billed after its refund is picked up by the scheduled run
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite but not billed
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then the refund's error names the order's sales order by its number
    When the order is billed in NetSuite
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @to_netsuite
  Scenario: A storefront clock running minutes behind loses no refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And the storefront's clock runs 5 minutes behind
    And a paid order synced to NetSuite and billed as a cash sale
    When the scheduled refund sync runs
    And the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @from_netsuite
  Scenario: Two connector workers running at once refund the customer once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And the storefront takes 300 milliseconds to create a refund
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And two workers of the connector run the scheduled sync at the same time
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @storefront @to_netsuite
  Scenario: Two connector workers running at once post a storefront refund to NetSuite once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    And NetSuite takes 300 milliseconds to create a refund
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And two workers of the connector run the scheduled sync at the same time
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @refund_webhooks @to_netsuite
  Scenario: A forged refund webhook is refused and records nothing
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And a forged refund webhook for the order reaches the connector
    Then the connector refused the webhook
    And the connector retrieved no refund
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @refund_webhooks @to_netsuite
  Scenario: A delivery of a topic the connector does not handle is acknowledged
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the storefront sends a signed webhook of a topic the connector does not handle
    Then the connector acknowledged the webhook
    And the connector retrieved no refund
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks once
    Then the connector acknowledged every refund webhook delivery
    And the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @refund_webhooks @to_netsuite
  Scenario: A GET, or a delivery whose body is not JSON, to the connector's webhook address is refused
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks once
    Then the connector acknowledged every refund webhook delivery
    When a GET request reaches the connector's webhook address
    Then the connector refused the webhook
    When a delivery whose body is not JSON reaches the connector's webhook address
    Then the connector refused the webhook
    And the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @refund_webhooks @to_netsuite
  Scenario: A delivery to an address of the connector's webhook host that no subscription names is answered 404
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks once
    And a delivery reaches the connector's webhook host at an address it never subscribed
    Then the connector answered that nothing receives webhooks at that address
    And the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @refund_webhooks @to_netsuite
  Scenario: Signed refund webhooks the connector cannot use are refused, each naming what is wrong, and lose no refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront sends its refund webhook again once for each flaw its payload can carry
    Then the connector refused each flawed webhook, naming what is wrong with it
    And the connector retrieved no refund
    When the storefront delivers its refund webhooks once
    Then the connector has retrieved 1 refund for the order
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side

  @refund_webhooks @to_netsuite
  Scenario: Refund webhooks that never arrive lose no refund: the schedule finds it
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    And the storefront delivers its refund webhooks never
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks twice
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
