@to_netsuite
Feature: Refunds of orders deleted in NetSuite
  An order deleted in NetSuite and later refunded in the storefront leaves the connector nothing to
  post the refund against: the transaction it must refund no longer exists. The refund shows a sync error
  that tells the operator to cancel it and handle it by hand in both systems; once canceled, it is
  never retried or posted.

  @storefront
  Scenario: A refund of an order deleted in NetSuite errors until the operator cancels it
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with tax rate 10% and these lines:
      | item | quantity | unit price |
      | 1    | 2        | 10.00      |
    And a NetSuite user deletes the order's billing record and then its sales order
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And the scheduled refund sync runs
    Then the refund's error names the order's sales order by its number
    When the scheduled refund sync runs
    Then the refund's error names the order's sales order by its number
    When I cancel the refund
    And the scheduled refund sync runs
    Then the refund has status Canceled
    And NetSuite has exactly 0 refunds for the order
    And the storefront has exactly 1 refund for the order
