@qa_cases
Feature: Refund cases QA writes down, with exact amounts
  Each case states an exact order (its lines, unit prices, tax rate, order discount, shipping and
  currency), the refunds made, and what each side must have refunded in all, to the cent. Written only
  with the step catalog (`refund-harness steps`); each runs for every storefront its tags fit.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @storefront @to_netsuite
  Scenario: One unit of a two-unit line, with tax, refunds exactly its share
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
      | 2    | 1        | 5.00       |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 11.00 USD in all for the order
    And NetSuite refunded 11.00 USD in all for the order

  @storefront @to_netsuite
  Scenario: A whole order with shipping and an 8.25% tax refunds exactly what was paid
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 8.25% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
      | 2    | 1        | 5.00       |
    When the merchant refunds the whole order in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 35.18 USD in all for the order
    And NetSuite refunded 35.18 USD in all for the order

  @storefront @to_netsuite
  Scenario: Two refunds of one unit each add up to the whole line
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 3    | 2        | 10.00      |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront has exactly 2 refunds for the order
    And NetSuite has exactly 2 refunds for the order
    And the storefront refunded 22.00 USD in all for the order
    And NetSuite refunded 22.00 USD in all for the order

  @line_items @to_netsuite
  Scenario: An order discount is shared by the lines it was spread over
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and an order discount of 4.00 and these lines:
      | item     | quantity | unit price |
      | SKU-1001 | 1        | 30.00      |
      | SKU-1002 | 1        | 10.00      |
    When the merchant refunds 1 unit of line 1 in the storefront
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the NetSuite refund has the refunded lines and quantities
    And the storefront refunded 29.70 USD in all for the order
    And NetSuite refunded 29.70 USD in all for the order

  @line_items @to_netsuite
  Scenario: A line refund at the catalog's price keeps its line and quantity
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with these lines:
      | item | quantity |
      | 4    | 3        |
      | 5    | 1        |
    When the merchant refunds 2 units of line 1 in the storefront
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the NetSuite refund has the refunded lines and quantities

  @amount_refunds @to_netsuite
  Scenario: An exact amount refund posts that amount on the refund item
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 4.99 and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 25.00      |
    When the merchant refunds 12.35 as an amount in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the NetSuite refund has a single line on the refund item
    And the storefront refunded 12.35 USD in all for the order
    And NetSuite refunded 12.35 USD in all for the order

  @amount_refunds @to_netsuite @sells_eur
  Scenario: An amount refund in euros stays in euros on both sides
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order in EUR synced to NetSuite and billed as a cash sale, with these lines:
      | item | quantity | unit price |
      | 2    | 1        | 40.00      |
    When the merchant refunds 5.00 as an amount in the storefront
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront refunded 5.00 EUR in all for the order
    And NetSuite refunded 5.00 EUR in all for the order

  @shipping_refunds @to_netsuite
  Scenario: Refunding only the shipping gives back the shipping and its tax
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 1        | 20.00      |
    When the merchant refunds the shipping in the storefront
    And the scheduled refund sync runs
    Then the NetSuite refund has a shipping line for the refunded shipping
    And the storefront refunded 8.25 USD in all for the order
    And NetSuite refunded 8.25 USD in all for the order

  @each_direction @sells_jpy
  Scenario: A unit and the shipping of a yen order refund to the yen in either direction
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled in the direction under test
    And a paid order in JPY synced to NetSuite and billed as a cash sale, with shipping 500 and tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 1000       |
    When 1 unit of line 1 and the shipping are refunded at the source, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 1650 JPY in all for the order
    And NetSuite refunded 1650 JPY in all for the order

  @storefront @from_netsuite
  Scenario: A NetSuite refund of an amount on the refund item reaches the storefront as that amount
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 30.00      |
    When a NetSuite user refunds 12.35 on the refund item of the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 12.35 USD in all for the order
    And NetSuite refunded 12.35 USD in all for the order

  @storefront @to_netsuite
  Scenario: An order that cost less than one unit of the currency is paid: billed as a cash sale, refunded by a cash refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 1        | 0.50       |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite has a Cash Refund created from the Cash Sale
    And the storefront refunded 0.55 USD in all for the order

  @storefront @from_netsuite
  Scenario: A NetSuite refund of less than one unit of the currency reaches the storefront
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When a NetSuite user refunds 0.50 on the refund item of the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 0.50 USD in all for the order

  @storefront @from_netsuite
  Scenario: A NetSuite refund of nothing is not pushed, and its row says why
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When a NetSuite user refunds 0.00 on the refund item of the billed record
    And the scheduled refund sync runs
    Then the refund is in Error, saying why
    And the refund's error names the NetSuite refund by its number
    And the storefront has exactly 0 refunds for the order

  @storefront @from_netsuite
  Scenario: A NetSuite refund of only the shipping reaches the storefront
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 1        | 20.00      |
    When a NetSuite user refunds the shipping on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 8.25 USD in all for the order
    And NetSuite refunded 8.25 USD in all for the order

  @line_items @from_netsuite
  Scenario: A NetSuite refund of two units of an exact order is pushed by line
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 2    | 3        | 10.00      |
      | 3    | 1        | 5.00       |
    When a NetSuite user refunds 2 units of line 1 on the billed record
    And the scheduled refund sync runs
    Then the storefront shows a line-item refund of the same lines
    And the storefront refunded 22.00 USD in all for the order
    And NetSuite refunded 22.00 USD in all for the order

  @storefront @from_netsuite
  Scenario: A full NetSuite refund of an exact order gives back exactly what was paid
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 8.25% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
      | 2    | 1        | 5.00       |
    When a NetSuite user refunds the whole billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the storefront has exactly 1 refund for the order
    And the storefront refunded 35.18 USD in all for the order
    And NetSuite refunded 35.18 USD in all for the order

  @storefront @to_netsuite
  Scenario: An exact order on payment terms is refunded with a Credit Memo of the exact amount
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And an order on payment terms synced to NetSuite and billed as an invoice, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then NetSuite has a Credit Memo created from the Invoice
    And NetSuite refunded 11.00 USD in all for the order

  @storefront @to_netsuite
  Scenario: Refunds canceled in bulk are not posted, and post once uncanceled in bulk
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 10.00      |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order
    And I cancel every refund of the order
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order has status Canceled
    And NetSuite has exactly 0 refunds for the order
    When I uncancel every refund of the order
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite refunded 22.00 USD in all for the order

  @storefront @to_netsuite
  Scenario: A deleted refund is forgotten, retrieved again and posted once
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order
    And I delete the refund
    Then the connector has 0 refunds for the order
    When I retrieve the refunds of the order
    Then the connector has retrieved 1 refund for the order
    When I retrieve the refunds of the order and post them to NetSuite
    Then every refund of the order is posted, once on each side
    And NetSuite refunded 11.00 USD in all for the order

  @storefront @to_netsuite
  Scenario: Refunds deleted in bulk are found again by the scheduled run
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 10.00      |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the merchant refunds 2 units of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order
    And I delete every refund of the order
    Then the connector has 0 refunds for the order
    When the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite refunded 33.00 USD in all for the order

  @refund_webhooks @to_netsuite
  Scenario: A refund webhook delivered three times posts one refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks 3 times
    Then the connector has retrieved 1 refund for the order
    And the connector acknowledged every refund webhook delivery
    When the scheduled refund sync runs
    Then NetSuite has exactly 1 refund for the order
    And NetSuite refunded 11.00 USD in all for the order

  @refund_webhooks @to_netsuite
  Scenario: A refund webhook delivered once is retrieved without waiting for the schedule
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with these lines:
      | item | quantity | unit price |
      | 1    | 1        | 19.99      |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the storefront delivers its refund webhooks once
    Then the connector has retrieved 1 refund for the order
    And the connector acknowledged every refund webhook delivery
    When the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And NetSuite refunded 19.99 USD in all for the order

  @each_direction @sells_jpy
  Scenario: A yen order keeps every NetSuite amount whole, on its records and in what was sent
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled in the direction under test
    And a paid order in JPY synced to NetSuite and billed as a cash sale, with shipping 500 and tax rate 10% and an order discount of 300 and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 1000       |
      | 2    | 1        | 777        |
    When 1 unit of line 1 is refunded at the source, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And no amount NetSuite holds or was sent for the order has decimals

  @line_items @each_direction
  Scenario: Units of one line, without the shipping, refunded where the direction starts arrive by line
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled in the direction under test
    And a paid order synced to NetSuite and billed as a cash sale, with shipping 7.50 and tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 3        | 10.00      |
      | 2    | 1        | 5.00       |
    When 2 units of line 1 are refunded at the source
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the NetSuite refund has the refunded lines and quantities
    And the storefront refunded 22.00 USD in all for the order
    And NetSuite refunded 22.00 USD in all for the order

  @storefront @to_netsuite
  Scenario: A line's own discount is refunded with its units
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price | discount |
      | 1    | 2        | 10.00      | 2.00     |
      | 2    | 1        | 5.00       |          |
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then every refund of the order is posted, once on each side
    And the storefront refunded 9.90 USD in all for the order
    And NetSuite refunded 9.90 USD in all for the order
