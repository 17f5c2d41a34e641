@offline_payments @from_netsuite
Feature: Orders paid offline refund through their own route
  Where a storefront refunds an order a payment gateway captured (a card) by sending the money back
  through the gateway, and an order paid offline (a check, a bank transfer, cash on delivery) by
  recording a refund the merchant pays by other means, a refund pushed from NetSuite must take the
  route of the order's payment: a card refund recorded offline leaves the customer unpaid, and the
  storefront refuses to send an offline-paid order's refund through a gateway. Scenarios run for
  every registered storefront that declares offline payments.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario: A NetSuite refund of a card order goes back through the payment gateway
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1
    When a NetSuite user refunds 1 unit of line 1 on the billed record
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the storefront refunded the order online, through its payment gateway
    And the refund totals match on both sides

  Scenario: A NetSuite refund of an order paid offline is refunded offline
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled from NetSuite
    And an order paid offline synced to NetSuite and billed as an invoice
    When a NetSuite user refunds 1 unit of line 1 and the shipping on the billed record
    And the scheduled refund sync runs
    And the scheduled refund sync runs
    Then the refund has status Posted
    And the storefront refunded the order offline
    And the refund totals match on both sides
