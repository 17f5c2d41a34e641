@cash_payments
Feature: Orders paid in cash carry the payment method the merchant mapped to cash
  At a point of sale a buyer may pay in cash instead of by card. A merchant maps each way their
  storefront takes money (its payment gateways) to a NetSuite payment method, so that a paid order's
  sales order carries the method it was really paid with: cash lands in the cash account, card money in
  the card clearing account, and NetSuite bills both as cash sales. An order paid in cash that reaches
  NetSuite with the card's payment method, or with none (billed as an invoice, as if still unpaid),
  leaves NetSuite's books wrong before any refund is made from them. Scenarios run for every registered
  storefront that declares cash payments.

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  Scenario: An order paid in cash reaches NetSuite with the payment method mapped to cash
    Given a storefront connected to NetSuite with order sync active
    And the merchant maps cash payments to a NetSuite payment method of their own
    And a test order paid in cash
    When I sync the test order to NetSuite
    And the order is billed in NetSuite
    Then NetSuite billed the order as a cash sale paid with the payment method mapped to cash
