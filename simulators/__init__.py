"""Stateful fakes of NetSuite and the storefronts. Each answers ``httpx.Request -> httpx.Response``
in-process (see ``simulators.core``); the same code can be served on loopback later."""
