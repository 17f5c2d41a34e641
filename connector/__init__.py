"""The refund-sync engine under test, modelled on Oracle NetSuite Connector (formerly FarApp).

Production-shaped: it speaks HTTP (httpx) to the real NetSuite and storefront hostnames with
real auth. It never imports ``simulators`` or ``harness``; see docs/connector-api.md.
"""
from connector.activation import PrerequisiteReport
from connector.engine import Connector
from connector.errors import (ActivationRefused, ConnectorError, ErrorFacts, ErrorKind, NotFound, RateLimited,
                              RemoteError)
from connector.ledger import LedgerRefund
from connector.model import (Account, AccountSettings, Direction, LineKind, OrderLink, RefundLine,
                             RefundStatus, SourceStatus)
from connector.netsuite import NetSuiteConfig, TbaAuth, TbaCredentials
from connector.order_sync import OrderSyncFailed
from connector.schedule import RunFailure, RunSummary

__all__ = [
    "Account", "AccountSettings", "ActivationRefused", "Connector", "ConnectorError", "Direction", "ErrorFacts",
    "ErrorKind", "LedgerRefund", "LineKind", "NetSuiteConfig", "NotFound", "OrderLink", "OrderSyncFailed", "PrerequisiteReport", "RateLimited",
    "RefundLine", "RefundStatus", "RemoteError", "RunFailure", "RunSummary", "SourceStatus", "TbaAuth", "TbaCredentials",
]
