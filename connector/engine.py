"""The Connector: the one object the outside world talks to. It owns the ledger, the NetSuite
client and the storefront adapters, and routes each call to the flow that does the work."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import httpx

from common.clock import Clock
from connector.activation import (PrerequisiteReport, check_direction_change, check_prerequisites, refusal_message,
                                  validate_new_account)
from connector.claims import CLAIM_LEASE, ClaimLost, claimed
from connector.crashpoints import reached
from connector.errors import ActivationRefused, ConnectorError, Prerequisite, RemoteError, Unmet, error_facts
from connector.from_netsuite import FromNetSuite
from connector.identifiers import checked_id
from connector.ledger import Ledger, LedgerRefund
from connector.model import Account, AccountSettings, Direction, OrderLink, RefundStatus, SourceStatus
from connector.netsuite import NetSuiteClient, NetSuiteConfig, NonceSource, TbaAuth
from connector.order_sync import OrderSync
from connector.schedule import RunFailure, RunSummary, is_due, look_back_from, next_run_after
from connector.slots import NetSuiteSlots
from connector.storefronts import storefront, webhook_platforms
from connector.storefronts.base import StorefrontAdapter
from connector.storefronts.webhook_receiver import WebhookPipeline, WebhookPlatform
from connector.to_netsuite import ToNetSuite

WEBHOOK_PATH = "/webhooks/{platform}"   # where each platform's refund webhooks arrive
# How long an account's scheduled run is one worker's: if that worker dies mid-run, another takes the run
# over once this has passed on the clock. Each refund keeps its own claim, so a run taken over from a live
# worker (one that ran longer than this) only repeats retrieval, never a post.
ACCOUNT_RUN_LEASE = CLAIM_LEASE


@dataclass(frozen=True)
class PostAttempt:
    row: LedgerRefund    # the refund as this attempt left it
    posted: bool         # this attempt took it to POSTED (not another worker)


AdapterFactory = Callable[[httpx.Client, Account], StorefrontAdapter]


def shipped_adapter(http: httpx.Client, account: Account) -> StorefrontAdapter:
    """The adapter this connector ships for the account's platform."""
    return storefront(account.platform).adapter(http, account)


class Connector:
    def __init__(self, *, ledger_path: str | Path, clock: Clock, netsuite: NetSuiteConfig, http: httpx.Client,
                 seed: int = 0, webhook_base_url: str = "https://hooks.refund-connector.test",
                 ledger_synchronous: str = "FULL", adapter_factory: AdapterFactory | None = None,
                 webhook_hooks: Mapping[str, WebhookPlatform] | None = None) -> None:
        """``adapter_factory`` and ``webhook_hooks`` are the engine's declared injection points: what reads
        and writes each account's storefront (default ``shipped_adapter``), and each webhook platform's hooks
        into the one pipeline (default every platform's shipped ones). Tests put a changed part there
        instead of reaching into the engine."""
        self.clock = clock
        self.http = http
        self.webhook_base_url = webhook_base_url.rstrip("/")
        self.ledger = Ledger(ledger_path, clock, synchronous=ledger_synchronous)
        # the NetSuite account's concurrency slots are leased in the ledger, shared with every worker on it
        self.netsuite = NetSuiteClient(netsuite, http, TbaAuth(netsuite, clock, NonceSource(seed, self.ledger.incarnation)),
                                       slots=NetSuiteSlots(self.ledger, netsuite.account_id, netsuite.concurrency_limit))
        self.order_sync = OrderSync(self.ledger, self.netsuite, clock)
        self.to_netsuite = ToNetSuite(self.ledger, self.netsuite)
        self.from_netsuite = FromNetSuite(self.ledger, self.netsuite)
        self._webhooks: dict[str, WebhookPipeline] = {
            name: WebhookPipeline(self.ledger, self.to_netsuite, self._adapter, hooks)
            for name, hooks in (webhook_platforms() if webhook_hooks is None else webhook_hooks).items()}
        self._adapter_factory = adapter_factory or shipped_adapter
        self._adapters: dict[int, StorefrontAdapter] = {}
        self._adapters_lock = threading.Lock()   # posting threads share the cache

    def close(self) -> None:
        self.ledger.close()

    # --- accounts -------------------------------------------------------------------------
    def add_account(self, name: str, platform: str, store: str, credentials: Mapping[str, str] | None = None,
                    settings: AccountSettings | None = None) -> Account:
        credentials = dict(credentials or {})
        validate_new_account(name, platform, store, credentials)
        return self.ledger.add_account(name, platform, store, credentials, settings or AccountSettings())

    def account(self, account_id: int) -> Account:
        return self.ledger.account(account_id)

    def accounts(self) -> list[Account]:
        return self.ledger.accounts()

    def update_settings(self, account_id: int, settings: AccountSettings) -> Account:
        return self.ledger.update_account(account_id, settings=settings)

    def _adapter(self, account: Account) -> StorefrontAdapter:
        with self._adapters_lock:
            adapter = self._adapters.get(account.id)
            if adapter is None:
                adapter = self._adapters[account.id] = self._adapter_factory(self.http, account)
            return adapter

    # --- order sync -----------------------------------------------------------------------
    def activate_order_sync(self, account_id: int) -> Account:
        """Order sync on; orders created from now on are imported by ``sync_orders`` (the cut-off)."""
        account = self.account(account_id)
        if account.order_sync_active:
            return account
        return self.ledger.update_account(account_id, order_sync_active=True,
                                          order_sync_cutoff=account.order_sync_cutoff or self.clock.now())

    def deactivate_order_sync(self, account_id: int) -> Account:
        return self.ledger.update_account(account_id, order_sync_active=False)

    def sync_order(self, account_id: int, order_id: str) -> OrderLink:
        account = self.account(account_id)
        return self.order_sync.sync_order(account, self._adapter(account), str(order_id))

    def sync_orders(self, account_id: int) -> list[OrderLink]:
        account = self.account(account_id)
        return self.order_sync.sync_orders(account, self._adapter(account))

    def order_link(self, account_id: int, order_id: str) -> OrderLink | None:
        return self.ledger.order_link(account_id, str(order_id))

    # --- activation -----------------------------------------------------------------------
    def check_refund_prerequisites(self, account_id: int) -> PrerequisiteReport:
        return check_prerequisites(self.account(account_id), self.ledger, self.netsuite)

    def enable_refund_sync(self, account_id: int, direction: Direction) -> Account:
        direction = Direction(direction)
        if direction is Direction.OFF:
            return self.disable_refund_sync(account_id)
        account = self.account(account_id)
        check_direction_change(account, direction)
        if account.direction is direction:
            return account
        report = check_prerequisites(account, self.ledger, self.netsuite)
        if not report.ok:
            raise ActivationRefused(refusal_message(account, report.missing), missing=report.missing)
        webhook_registered = account.webhook_registered
        if direction is Direction.TO_NETSUITE and account.platform in self._webhooks and not webhook_registered:
            address = f"{self.webhook_base_url}{WEBHOOK_PATH.format(platform=account.platform)}"
            try:   # webhooks make refunds arrive at once; the schedule would find them anyway
                self._adapter(account).register_refund_webhook(address)
            except RemoteError as exc:
                missing = [Unmet(Prerequisite.REFUND_WEBHOOKS_SUBSCRIBED,
                                 f"the refund webhook could not be registered with {exc.system} ({exc})")]
                raise ActivationRefused(refusal_message(account, missing), missing=missing) from exc
            webhook_registered = True
        now = self.clock.now()
        return self.ledger.update_account(account_id, direction=direction, refund_sync_since=now,
                                          next_refund_run_at=now, webhook_registered=webhook_registered)

    def disable_refund_sync(self, account_id: int) -> Account:
        return self.ledger.update_account(account_id, direction=Direction.OFF, next_refund_run_at=None)

    # --- refunds --------------------------------------------------------------------------
    def retrieve_refunds(self, account_id: int, order_or_transaction_id: str) -> list[LedgerRefund]:
        """Manual "Retrieve Refund/Return": a storefront order id (to NetSuite), or a NetSuite
        transaction id / tranId or a storefront order id (from NetSuite)."""
        account = self.account(account_id)
        key = checked_id(order_or_transaction_id, "order or transaction id")
        if account.direction is Direction.TO_NETSUITE:
            return self.to_netsuite.retrieve_order(account, self._adapter(account), key)
        if account.direction is Direction.FROM_NETSUITE:
            return self.from_netsuite.retrieve(account, self._adapter(account), key)
        raise ConnectorError(f"Refund sync is off for account '{account.name}': turn on the direction you want "
                             "before retrieving refunds.")

    def post(self, refund_id: int) -> LedgerRefund:
        """"Post Order to NetSuite" (to NetSuite) or push to the storefront (from NetSuite)."""
        row = self.ledger.refund(refund_id)
        if row.status is RefundStatus.CANCELED:
            raise ConnectorError(f"Refund {refund_id} is canceled, so it is not posted. Uncancel it first.")
        attempt = self._post_row(row)
        if attempt is not None:
            return attempt.row
        row = self.ledger.refund(refund_id)
        if row.status in (RefundStatus.RETRIEVED, RefundStatus.ERROR):
            raise ConnectorError(f"Refund {refund_id} is being posted by another connector worker ({row.claimed_by}) "
                                 "right now; look at it again in a moment.")
        return row   # posted (or canceled) meanwhile

    def _post_row(self, row: LedgerRefund) -> PostAttempt | None:
        """Post one refund under a claim; None when another worker holds it or it is no longer open."""
        with claimed(self.ledger, row.id) as claim:
            if not claim.taken:
                return None
            status = self._post_claimed(self.ledger.refund(row.id)).status
        # read again once let go, so the row handed back shows no claim
        return PostAttempt(self.ledger.refund(row.id), posted=claim.kept and status is RefundStatus.POSTED)

    def _post_claimed(self, row: LedgerRefund) -> LedgerRefund:
        account = self.account(row.account_id)
        adapter = self._adapter(account)
        try:
            if row.direction is Direction.TO_NETSUITE:
                return self.to_netsuite.post(account, adapter, row)
            return self.from_netsuite.push(account, adapter, row)
        except ClaimLost:
            return self.ledger.refund(row.id)   # the worker that took it over posts it
        except ConnectorError as exc:
            return self.ledger.mark_error(row.id, str(exc), facts=error_facts(exc))
        except Exception as exc:   # one broken refund must not stop the others; say what broke
            return self.ledger.mark_error(row.id, f"Unexpected {type(exc).__name__} while posting: {exc}. "
                                                  "Re-post it; report it if it keeps happening.", facts=error_facts(exc))

    def refunds(self, account_id: int | None = None, status: RefundStatus | None = None) -> list[LedgerRefund]:
        return self.ledger.refunds(account_id=account_id, status=status)

    def refund(self, refund_id: int) -> LedgerRefund:
        return self.ledger.refund(refund_id)

    def cancel(self, refund_id: int) -> LedgerRefund:
        return self.ledger.cancel(refund_id)

    def uncancel(self, refund_id: int) -> LedgerRefund:
        return self.ledger.uncancel(refund_id)

    def delete(self, refund_id: int) -> None:
        self.ledger.delete(refund_id)

    def handle_webhook(self, request: httpx.Request) -> httpx.Response:
        """The webhook receiver: ``/webhooks/<platform>`` goes to that platform's receiver."""
        prefix, _, platform = request.url.path.rstrip("/").rpartition("/")
        receiver = self._webhooks.get(platform) if prefix == WEBHOOK_PATH.rpartition("/")[0] else None
        if receiver is None:
            known = ", ".join(WEBHOOK_PATH.format(platform=name) for name in self._webhooks)
            return httpx.Response(404, json={"error": f"no webhook receiver at {request.url.path}; "
                                                      f"receivers: {known}"})
        try:
            # the receiver answers what the sender got wrong (400, 422) and what the store could not say now (503)
            return receiver.handle(request)
        except Exception as exc:   # a bug in the connector, not the sender's fault: said as one, and not recorded
            return httpx.Response(500, json={"error": f"the {platform} webhook receiver failed: "
                                                      f"{type(exc).__name__}: {exc}"[:500]})

    # --- schedule -------------------------------------------------------------------------
    def run_scheduled(self) -> RunSummary:
        """Every account whose 90-minute refund schedule is due: retrieve what is new, post what is open.
        An account whose run another worker on the ledger holds right now is left to that worker."""
        now = self.clock.now()
        summary = RunSummary()
        for account in self.ledger.accounts():
            # another worker on the ledger running this account already: its run covers it, and this one
            # goes on to the next account instead of retrieving and listing the same refunds again
            if not is_due(account, now) or not self.ledger.claim_account_run(account.id, ACCOUNT_RUN_LEASE):
                continue
            try:
                summary.add(self._run_account(account, now))
                reached("engine.account_run_done")
            except Exception as exc:   # one account's failure must not stop the others' runs; say what broke
                summary.accounts.append(account.id)
                summary.fail(RunFailure(f"Account '{account.name}': the scheduled run stopped: unexpected "
                                        f"{type(exc).__name__}: {exc}. It runs again at the next schedule; "
                                        "report it if it keeps happening.", error_facts(exc), account.id))
            finally:
                self.ledger.update_account(account.id, last_refund_run_at=now, next_refund_run_at=next_run_after(now))
                self.ledger.release_account_run(account.id)
            reached("engine.next_run_scheduled")
        return summary

    def _run_account(self, account: Account, now: datetime) -> RunSummary:
        summary = RunSummary(accounts=[account.id])
        adapter = self._adapter(account)
        try:
            if account.direction is Direction.TO_NETSUITE:
                since = look_back_from(account, self._first_possible_refund(account))
                if since is not None:
                    summary.retrieved = self.to_netsuite.retrieve_since(account, adapter, since)
                    reached("engine.retrieval_window_done")
                    # the whole window is recorded: the next one starts here (less the overlap)
                    self.ledger.update_account(account.id, refunds_retrieved_through=now)
                    reached("engine.retrieval_watermark_advanced")
            else:
                summary.retrieved = self.from_netsuite.discover(account, adapter)
        except ConnectorError as exc:   # what was retrieved before is still posted below
            summary.fail(RunFailure(f"Account '{account.name}': looking for new refunds failed: {exc}",
                                    error_facts(exc), account.id))
        except Exception as exc:   # a bug or an answer nobody foresaw: the refunds already recorded still go out
            summary.fail(RunFailure(f"Account '{account.name}': looking for new refunds failed: unexpected "
                                    f"{type(exc).__name__}: {exc}; it is tried again at the next run.",
                                    error_facts(exc), account.id))
        due = [row for row in self.ledger.open_refunds(account.id, account.direction)
               if row.status is RefundStatus.RETRIEVED or (row.status is RefundStatus.ERROR and row.retryable)]
        for attempt in self._post_rows(account, due):
            if attempt is None:   # another worker (thread or process) is posting it
                summary.skipped += 1
                continue
            result = attempt.row
            if attempt.posted:
                summary.posted += 1
            elif result.status is RefundStatus.POSTED:   # another worker took it over and posted it
                summary.skipped += 1
            elif result.status is RefundStatus.ERROR:
                summary.fail(RunFailure(f"Refund {result.id} ({result.source_id}): {result.error}", result.error_facts,
                                        account.id, result.id))
            elif result.target_id or result.source_status is SourceStatus.PENDING:
                summary.pending += 1
        return summary

    def _post_rows(self, account: Account, rows: Sequence[LedgerRefund]) -> Iterator[PostAttempt | None]:
        """Post ``rows``, each under its own claim, and yield each attempt in the order of ``rows``.

        To NetSuite, up to the NetSuite account's concurrency limit (``NetSuiteConfig.concurrency_limit``)
        are posted at once: each refund is a short chain of requests that waits on NetSuite, so one at a
        time leaves most of the account's request slots idle. Each request holds one of the account's
        slots, leased in the ledger, so this worker and every other on the ledger stay within the limit
        together (connector/slots.py): a thread that finds them all held waits for one. Each refund's own
        steps keep their order (claim, reads, confirm, create, record, release). A refund NetSuite refuses with 429 is marked a
        retryable error like any other and tried on the next run; nothing here retries it.
        From NetSuite, the writes go to the storefront, whose limits are rate limits per store, not
        NetSuite's: refunds are pushed one at a time."""
        threads = min(self.netsuite.config.concurrency_limit, len(rows))
        if account.direction is not Direction.TO_NETSUITE or threads <= 1:
            yield from (self._post_row(row) for row in rows)
            return
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"post-{account.id}") as pool:
            yield from pool.map(self._post_row, rows)

    def _first_possible_refund(self, account: Account) -> datetime | None:
        """No refund of an order this connector synced can be older than the order sync cut-off."""
        if account.order_sync_cutoff is not None:
            return account.order_sync_cutoff
        return self.ledger.first_synced_at(account.id)
