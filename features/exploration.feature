@exploration
Feature: Exploration: refunds survive merchants, NetSuite users and faults acting in a random order
  Hand-written scenarios check the cases someone thought of. Here the order of events is drawn at
  random, from a seed, for every storefront and each direction it offers: orders placed, synced and
  billed; refunds of the whole order, a line, some units or an amount, where the refunds start;
  faults of every kind the fault plane has, on NetSuite or on the storefront; scheduled runs by one
  worker or two at once; webhooks; connector restarts; and quiet runs in which the connector must
  catch up. What is checked is read from NetSuite and the storefront alone, never from the connector.
  Each time starts from fresh stores; hypothesis makes the first time its simplest sequence. A failure
  shows the seed and the shortest sequence of steps found that breaks it.

  @each_direction
  Scenario: Random refunds, faults, workers and restarts lose, duplicate and over-refund nothing
    When the merchant, NetSuite users and faults act at random for 12 steps, 3 times from fresh stores (seeded)
    Then nothing was lost, duplicated or over-refunded
