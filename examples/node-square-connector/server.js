// A Square -> NetSuite refund connector for Node.js 20, with no npm packages, speaking the connector
// protocol v1 (docs/connector-protocol.md). Run: node server.js [port]. It prints "listening on URL".
// State lives in memory per tenant: instances of one tenant share it, as workers on one database would.
'use strict';
const http = require('http');
const crypto = require('crypto');

const LEASE_MS = 15 * 60 * 1000;          // a refund or account run claimed by a worker is its own this long
const INTERVAL_MS = 90 * 60 * 1000;       // refund sync runs every 90 minutes
const OVERLAP_MS = 10 * 60 * 1000;        // each retrieval looks back this far before the last one
const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'HUF', 'TWD', 'UGX', 'XAF', 'XOF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);
const tenants = new Map();
const instances = new Map();
let nextInstance = 1;

class Refusal extends Error { constructor(type, message) { super(message); this.type = type; } }
class RemoteError extends Error { constructor(message, { status = 0, retryable = false, detail = '' } = {}) { super(message); Object.assign(this, { status, retryable, detail }); } }

// --- money: integer minor units, decimal strings on the wire -----------------------------------
const exponent = (cur) => (ZERO_DECIMAL.has(cur) ? 0 : THREE_DECIMAL.has(cur) ? 3 : 2);
function decimal(minor, cur) {
  const e = exponent(cur); const sign = minor < 0 ? '-' : ''; const digits = String(Math.abs(minor)).padStart(e + 1, '0');
  return e ? `${sign}${digits.slice(0, -e)}.${digits.slice(-e)}` : `${sign}${digits}`;
}
const number = (minor, cur) => Number(decimal(minor, cur));   // for NetSuite's JSON numbers

// --- outbound HTTP through the hosts map ------------------------------------------------------------
function send(inst, method, url, { headers = {}, body } = {}) {
  const target = new URL(url);
  const base = inst.hosts[target.hostname];
  if (!base) return Promise.reject(new RemoteError(`no served host ${target.hostname}`, { retryable: true }));
  const where = new URL(base);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const all = { ...headers, Host: target.host, 'X-Forwarded-Proto': target.protocol.replace(':', ''), Accept: 'application/json' };
  if (payload) Object.assign(all, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: where.hostname, port: where.port, method, path: target.pathname + target.search, headers: all, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => reject(new RemoteError(`the answer to ${method} ${target.pathname} broke off (${e.message})`, { retryable: true })));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => reject(new RemoteError(`could not reach ${target.hostname} (${e.message}); retried on the next run`, { retryable: true })));
    if (payload) req.write(payload);
    req.end();
  });
}
function parse(res, what) {
  try { return JSON.parse(res.text); } catch { throw new RemoteError(`the answer to ${what} is not JSON (cut short?); retried on the next run`, { retryable: true }); }
}

// --- NetSuite: OAuth 1.0a HMAC-SHA256 token-based authentication ------------------------------------
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
function tbaHeader(inst, method, url) {
  const ns = inst.netsuite; const u = new URL(url);
  const oauth = { oauth_consumer_key: ns.consumer_key, oauth_token: ns.token_id, oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(Math.floor(inst.now / 1000)), oauth_nonce: crypto.randomBytes(16).toString('hex'), oauth_version: '1.0' };
  const params = [...u.searchParams.entries(), ...Object.entries(oauth)].map(([k, v]) => [enc(k), enc(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const base = [method.toUpperCase(), enc(`${u.protocol}//${u.host}${u.pathname}`), enc(params)].join('&');
  const signature = crypto.createHmac('sha256', `${enc(ns.consumer_secret)}&${enc(ns.token_secret)}`).update(base).digest('base64');
  return 'OAuth ' + [['realm', ns.account_id], ...Object.entries(oauth), ['oauth_signature', signature]].map(([k, v]) => `${k}="${enc(v)}"`).join(', ');
}
async function ns(inst, method, path, { body, query } = {}) {
  let url = `${inst.netsuite.base_url}/services/rest${path}`;
  if (query) url += '?' + new URLSearchParams(query).toString();
  const headers = { Authorization: tbaHeader(inst, method, url) };
  if (body !== undefined) headers['X-NetSuite-PropertyNameValidation'] = 'error';
  if (path.startsWith('/query/')) headers.Prefer = 'transient';
  const res = await send(inst, method, url, { headers, body });
  if (res.status >= 400) {
    let detail = res.text.slice(0, 300);
    try { const d = JSON.parse(res.text)['o:errorDetails'] || []; if (d.length) detail = d.map((x) => x.detail).join(' '); } catch { /* not JSON */ }
    throw new RemoteError(`NetSuite answered ${res.status} to ${method} ${path}: ${detail}`, { status: res.status, detail, retryable: res.status === 429 || res.status === 401 || res.status >= 500 });
  }
  return res;
}
async function nsGet(inst, type, key, expand) {
  try { return parse(await ns(inst, 'GET', `/record/v1/${type}/${key}`, { query: expand ? { expandSubResources: 'true' } : undefined }), `read ${type}`); }
  catch (e) { if (e.status === 404) return null; throw e; }
}
const locationId = (res) => String(res.headers.location || '').replace(/\/$/, '').split('/').pop();
async function suiteql(inst, q) {
  const rows = []; let offset = 0;
  for (;;) {
    const page = parse(await ns(inst, 'POST', '/query/v1/suiteql', { body: { q }, query: { limit: 1000, offset } }), 'a SuiteQL query');
    rows.push(...(page.items || []));
    if (!page.hasMore || !(page.items || []).length) return rows;
    offset += page.items.length;
  }
}
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const ids = (xs) => xs.map((x) => { if (!/^\d+$/.test(String(x))) throw new Refusal('operation_refused', `${x} is not a NetSuite internal id`); return String(x); }).join(', ');
const externalId = (...parts) => parts.map((p) => String(p).replace(/[^A-Za-z0-9_-]/g, '_')).join('-');
async function itemIds(inst, skus) {
  if (!skus.length) return {};
  const rows = await suiteql(inst, `SELECT id, itemid FROM item WHERE itemid IN (${skus.map(lit).join(', ')})`);
  return Object.fromEntries(rows.map((r) => [r.itemid, String(r.id)]));
}
async function billedRecords(inst, soIds) {
  if (!soIds.length) return {};
  const rows = await suiteql(inst, 'SELECT t.id, t.type, t.tranid, tl.createdfrom FROM transaction t INNER JOIN transactionline tl ON tl.transaction = t.id'
    + ` WHERE tl.mainline = 'T' AND t.type IN ('CashSale', 'CustInvc') AND tl.createdfrom IN (${ids(soIds)}) ORDER BY t.id`);
  const found = {};
  for (const r of rows) found[String(r.createdfrom)] ??= { type: r.type === 'CashSale' ? 'cashSale' : 'invoice', id: String(r.id), tranid: r.tranid };
  return found;
}

// --- Square --------------------------------------------------------------------------------------
async function square(inst, account, method, path) {
  const url = `https://connect.squareup.com/v2${path}`;
  const res = await send(inst, method, url, { headers: { Authorization: `Bearer ${account.credentials.access_token}`, 'Square-Version': '2025-01-23' } });
  if (res.status >= 400) {
    let detail = res.text.slice(0, 300);
    try { detail = JSON.parse(res.text).errors.map((e) => `${e.detail || e.code} (${e.code})`).join('; '); } catch { /* as it came */ }
    throw new RemoteError(`Square answered ${res.status} to ${method} ${path}: ${detail}`, { status: res.status, retryable: res.status === 429 || res.status >= 500 });
  }
  return parse(res, `${method} ${path}`);
}
const minor = (m) => (m ? Number(m.amount) : 0);
function parseOrder(raw) {
  const cur = (raw.total_money || {}).currency || 'USD';
  const lines = (raw.line_items || []).map((i) => ({ id: i.uid, sku: i.variation_name || null, title: i.name || '', quantity: Number(i.quantity),
    rate: minor(i.base_price_money), amount: minor(i.gross_sales_money) - minor(i.total_discount_money), tax: minor(i.total_tax_money), shipping: false }));
  for (const c of raw.service_charges || []) {
    const tax = minor(c.total_tax_money); const amount = minor(c.total_money) - tax;
    lines.push({ id: `service-${c.uid}`, sku: null, title: c.name || 'Shipping', quantity: 1, rate: amount, amount, tax, shipping: true });
  }
  const tenders = raw.tenders || [];
  return { id: raw.id, name: raw.reference_id || raw.id, currency: cur, createdAt: raw.created_at, locationId: raw.location_id, lines,
    payments: tenders.map((t) => t.payment_id || t.id), paid: tenders.length > 0 && (raw.state || 'COMPLETED') === 'COMPLETED',
    gateway: tenders.length ? (tenders[0].type === 'CARD' ? 'square' : String(tenders[0].type).toLowerCase()) : null, customerId: raw.customer_id };
}
async function getOrder(inst, account, orderId) {
  const order = parseOrder((await square(inst, account, 'GET', `/orders/${encodeURIComponent(orderId)}`)).order);
  if (order.locationId && order.locationId !== account.store) throw new RemoteError(`Order ${orderId} belongs to location ${order.locationId}, not ${account.store}.`);
  return order;
}
const STATUS = { COMPLETED: 'completed', PENDING: 'pending', FAILED: 'failed', REJECTED: 'failed' };
const parseRefund = (r, orderId) => ({ id: r.id, orderId: String(r.order_id || orderId), currency: r.amount_money.currency,
  total: Number(r.amount_money.amount), source: STATUS[r.status || 'PENDING'] || 'pending' });

// --- the ledger (per tenant) ------------------------------------------------------------------------
function tenant(name) {
  if (!tenants.has(name)) tenants.set(name, { accounts: [], refunds: [], links: new Map(), nextRefund: 1 });
  return tenants.get(name);
}
const account = (inst, id) => { const a = inst.state.accounts.find((x) => x.id === String(id)); if (!a) throw new Refusal('operation_refused', `There is no account ${id}.`); return a; };
const refundRow = (inst, id) => { const r = inst.state.refunds.find((x) => x.id === String(id)); if (!r) throw new Refusal('operation_refused', `There is no refund ${id} in the connector (it may have been deleted).`); return r; };
const view = (r) => ({ id: r.id, account_id: r.accountId, order_id: r.orderId, source_id: r.sourceId, direction: 'to_netsuite', status: r.status,
  error: r.error, target_id: r.targetId, currency: r.currency, total: decimal(r.total, r.currency) });
const heldByAnother = (inst, r) => r.claim && r.claim.by !== inst.id && r.claim.until > inst.now;
function claim(inst, r) { if (heldByAnother(inst, r)) return false; r.claim = { by: inst.id, until: inst.now + LEASE_MS }; return true; }
const mine = (inst, r) => r.claim && r.claim.by === inst.id && inst.state.refunds.includes(r);
function setStatus(inst, r, status, error = null, retryable = false) { if (mine(inst, r)) Object.assign(r, { status, error, retryable }); }

function record(inst, acct, refund) {
  let row = inst.state.refunds.find((x) => x.accountId === acct.id && x.sourceId === refund.id);
  if (!row) {
    row = { id: String(inst.state.nextRefund++), accountId: acct.id, orderId: refund.orderId, sourceId: refund.id, status: 'retrieved', error: null,
      retryable: false, targetId: null, currency: refund.currency, total: refund.total, source: refund.source, claim: null };
    inst.state.refunds.push(row);
  }
  return row;
}

// --- operations --------------------------------------------------------------------------------------
async function syncOrder(inst, acct, orderId) {
  const order = await getOrder(inst, acct, orderId);
  const ext = externalId('square', acct.store, 'order', order.id);
  let so = await nsGet(inst, 'salesOrder', `eid:${ext}`, true);
  if (!so) {
    const noSku = order.lines.filter((l) => !l.shipping && !l.sku).map((l) => l.title || l.id);
    if (noSku.length) throw new Refusal('order_sync_failed', `Order ${order.name} cannot be synced: line(s) ${noSku.join(', ')} have no SKU to map to a NetSuite item.`);
    const skus = [...new Set(order.lines.filter((l) => l.sku).map((l) => l.sku))].sort();
    const items = await itemIds(inst, skus);
    const unmapped = skus.filter((s) => !items[s]);
    if (unmapped.length) throw new Refusal('order_sync_failed', `Order ${order.name} cannot be synced: SKU ${unmapped.join(', ')} has no NetSuite item.`);
    if (order.lines.some((l) => l.shipping) && !acct.setup.shipping_item_id) throw new Refusal('order_sync_failed', `Order ${order.name} has shipping but account '${acct.name}' has no shipping item configured.`);
    const cust = externalId('square', acct.store, 'customer', order.customerId || 'walk-in');
    const put = await ns(inst, 'PUT', `/record/v1/customer/eid:${cust}`, { body: { isPerson: true, firstName: 'Square', lastName: 'Customer' } });
    const entity = locationId(put) || String((await nsGet(inst, 'customer', `eid:${cust}`)).id);
    const currency = await suiteql(inst, `SELECT id, symbol FROM currency WHERE symbol = ${lit(order.currency)}`);
    if (!currency.length) throw new Refusal('order_sync_failed', `NetSuite has no currency ${order.currency}.`);
    const body = { externalId: ext, entity: { id: entity }, currency: { id: String(currency[0].id) }, tranDate: order.createdAt.slice(0, 10),
      memo: `Square order ${order.name}`, taxDetailsOverride: true,
      item: { items: order.lines.map((l) => ({ item: { id: l.shipping ? acct.setup.shipping_item_id : items[l.sku] }, quantity: l.quantity,
        rate: number(l.rate, order.currency), amount: number(l.amount, order.currency), taxAmount: number(l.tax, order.currency),
        description: l.title, custcol_storefront_line_id: l.id })) } };
    const method = order.paid && (acct.setup.payment_method_map || {})[order.gateway];
    if (method) body.paymentMethod = { id: method };
    let soId;
    try { soId = locationId(await ns(inst, 'POST', '/record/v1/salesOrder', { body })); }
    catch (e) { if (e.status === 400 && e.detail.includes('already exists')) soId = `eid:${ext}`; else throw new Refusal('order_sync_failed', `Order ${order.name} could not be synced to NetSuite: ${e.message}`); }
    so = await nsGet(inst, 'salesOrder', soId, true);
    if (!so) throw new Refusal('order_sync_failed', `NetSuite accepted sales order ${ext} for order ${order.name} but cannot find it.`);
  }
  inst.state.links.set(`${acct.id}/${order.id}`, { orderId: order.id, name: order.name, soId: String(so.id), soName: so.tranId || `#${so.id}`,
    skus: order.lines.filter((l) => l.sku).map((l) => l.sku), syncedAt: inst.now });
  return String(so.id);
}

// An activation refusal: the message a person reads, and each unmet prerequisite by its protocol name.
function refused(acct, missing) {
  const err = new Refusal('activation_refused', `Refund sync cannot be activated for account '${acct.name}': ${missing.map(([, text]) => text).join('; ')}.`);
  err.missing = missing.map(([name]) => name);
  return err;
}

async function enableRefundSync(inst, acct, direction) {
  if (direction === 'off') { acct.direction = 'off'; return; }
  if (direction !== 'to_netsuite') throw refused(acct, [['direction_offered', 'this connector syncs Square refunds to NetSuite only']]);
  if (acct.direction === direction) return;
  const missing = [];   // [prerequisite, what a person reads] of each unmet one
  if (!acct.orderSyncActive) missing.push(['order_sync_active', 'order sync is not active']);
  const links = [...inst.state.links.entries()].filter(([k]) => k.startsWith(`${acct.id}/`)).map(([, v]) => v);
  try {
    if (!links.length) missing.push(['test_order_synced', 'no test order has been synced to NetSuite (sync a test order, then bill it in NetSuite with a cash sale or an invoice)']);
    else {
      const billed = await billedRecords(inst, links.map((l) => l.soId));
      if (!links.some((l) => billed[l.soId])) missing.push(['test_order_billed', `no test order has been billed in NetSuite (sales order ${links[0].soName} has no cash sale or invoice)`]);
      const skus = [...new Set(links.flatMap((l) => l.skus))].sort();
      const found = await itemIds(inst, skus);
      const unmapped = skus.filter((s) => !found[s]);
      if (unmapped.length) missing.push(['items_mapped', `items are not mapped: SKU ${unmapped.join(', ')} has no NetSuite item`]);
    }
    const generic = acct.setup.generic_refund_item_id;
    if (!generic) missing.push(['generic_refund_item', 'the generic refund item is not configured (set generic_refund_item_id to an Other Charge for Sale item)']);
    else {
      const rows = await suiteql(inst, `SELECT id, itemtype FROM item WHERE id = ${ids([generic])}`);
      if (!rows.length) missing.push(['generic_refund_item', `the generic refund item ${generic} does not exist in NetSuite`]);
      else if (rows[0].itemtype !== 'OthCharge') missing.push(['generic_refund_item_other_charge', `the generic refund item ${generic} is not an Other Charge for Sale item (it is ${rows[0].itemtype})`]);
    }
  } catch (e) { if (e instanceof Refusal) throw e; missing.push(['netsuite_reachable', `NetSuite could not be checked (${e.message})`]); }
  if (missing.length) throw refused(acct, missing);
  Object.assign(acct, { direction, nextRunAt: inst.now });
}

async function post(inst, acct, row) {   // the caller holds the row's claim
  if (row.source !== 'completed') {
    const fresh = parseRefund((await square(inst, acct, 'GET', `/refunds/${encodeURIComponent(row.sourceId)}`)).refund, row.orderId);
    Object.assign(row, { source: fresh.source, total: fresh.total });
    if (row.source === 'pending') return setStatus(inst, row, 'retrieved');
    if (row.source === 'failed') return setStatus(inst, row, 'error', 'The refund failed in Square: no money went back to the customer, so there is nothing to post. Cancel it.');
  }
  if (row.total <= 0) return setStatus(inst, row, 'error', `Square refund ${row.sourceId} returned no money, so there is nothing to post to NetSuite. Cancel it.`);
  const link = inst.state.links.get(`${acct.id}/${row.orderId}`);
  const soExt = externalId('square', acct.store, 'order', row.orderId);
  const so = await nsGet(inst, 'salesOrder', `eid:${soExt}`);
  if (!so) {
    if (link) return setStatus(inst, row, 'error', `Sales order ${link.soName} of order ${link.name} no longer exists in NetSuite (deleted?), so the refund cannot be posted. Cancel this refund and handle it manually in both systems.`);
    return setStatus(inst, row, 'error', `Order ${row.orderId} was never synced to NetSuite (no sales order with externalId ${soExt}). Sync the order, then re-post this refund.`, true);
  }
  const billed = (await billedRecords(inst, [String(so.id)]))[String(so.id)];
  if (!billed) return setStatus(inst, row, 'error', `Order ${link ? link.name : row.orderId} (sales order ${so.tranId || so.id}) is not billed yet; bill it in NetSuite and re-post.`, true);
  const type = billed.type === 'cashSale' ? 'cashRefund' : 'creditMemo';
  const ext = externalId('square', acct.store, 'refund', row.sourceId);
  const done = (id) => { if (mine(inst, row)) Object.assign(row, { status: 'posted', error: null, retryable: false, targetId: String(id) }); };
  const already = await nsGet(inst, type, `eid:${ext}`);
  if (already) return done(already.id);
  const generic = acct.setup.generic_refund_item_id;
  if (!generic) return setStatus(inst, row, 'error', 'This Square refund is an amount only; configure the generic refund item (generic_refund_item_id) to post it.');
  const body = { externalId: ext, taxDetailsOverride: true, memo: `Square refund ${row.sourceId} of order ${link ? link.name : row.orderId}`,
    item: { items: [{ item: { id: generic }, quantity: 1, amount: number(row.total, row.currency), taxAmount: 0, description: 'Refund adjustment' }] } };
  if (!mine(inst, row) || row.claim.until <= inst.now) return undefined;   // another worker took it over
  try {
    done(locationId(await ns(inst, 'POST', `/record/v1/${billed.type}/${billed.id}/!transform/${type}`, { body, query: { replace: 'item' } })));
  } catch (e) {
    if (e.status === 400 && e.detail.includes('already exists')) { const found = await nsGet(inst, type, `eid:${ext}`); if (found) return done(found.id); }
    setStatus(inst, row, 'error', e.status === 400 ? `NetSuite rejected the ${type} from ${billed.tranid || billed.id}: ${e.detail} Fix the cause in NetSuite or cancel this refund.` : e.message, e.retryable);
  }
  return undefined;
}

async function postClaimed(inst, row) {   // null: another worker holds it
  if (!claim(inst, row)) return null;
  try { await post(inst, account(inst, row.accountId), row); }
  catch (e) { setStatus(inst, row, 'error', e.message, e instanceof RemoteError ? e.retryable : false); }
  finally { if (mine(inst, row)) row.claim = null; }
  return row;
}

async function runScheduled(inst) {
  for (const acct of inst.state.accounts) {
    if (acct.direction !== 'to_netsuite' || acct.nextRunAt > inst.now) continue;
    if (acct.run && acct.run.by !== inst.id && acct.run.until > inst.now) continue;
    const now = inst.now; acct.run = { by: inst.id, until: now + LEASE_MS };
    try {
      const first = acct.retrievedThrough != null ? acct.retrievedThrough - OVERLAP_MS : acct.cutoff;
      try {
        let cursor = null;
        do {
          const q = new URLSearchParams({ sort_order: 'ASC', limit: '100', begin_time: new Date(first).toISOString().replace(/\.\d{3}Z$/, 'Z') });
          if (cursor) q.set('cursor', cursor);
          const page = await square(inst, acct, 'GET', `/refunds?${q}`);
          for (const raw of page.refunds || []) {
            if (raw.location_id && raw.location_id !== acct.store) continue;
            const refund = parseRefund(raw, raw.order_id);
            if (inst.state.links.has(`${acct.id}/${refund.orderId}`)) record(inst, acct, refund);
          }
          cursor = page.cursor;
        } while (cursor);
        acct.retrievedThrough = now;
      } catch (e) { process.stderr.write(`account ${acct.id}: looking for new refunds failed: ${e.message}\n`); }
      const due = inst.state.refunds.filter((r) => r.accountId === acct.id && (r.status === 'retrieved' || (r.status === 'error' && r.retryable)));
      for (const row of due) await postClaimed(inst, row);
    } finally { Object.assign(acct, { nextRunAt: now + INTERVAL_MS, run: null }); }
  }
}

const OPS = {
  claim: async () => [200, { directions: { square: ['to_netsuite'] }, not_offered: [] }],
  addAccount: async (inst, b) => {
    if (b.platform !== 'square') throw new Refusal('operation_refused', `This connector syncs Square only, not ${b.platform}.`);
    if (!b.name || !b.store || !(b.credentials || {}).access_token) throw new Refusal('operation_refused', 'An account needs a name, a Square location id and an access_token.');
    const acct = { id: String(inst.state.accounts.length + 1), name: b.name, store: b.store, credentials: b.credentials, setup: b.setup || {},
      direction: 'off', orderSyncActive: false, cutoff: null, nextRunAt: null, retrievedThrough: null, run: null };
    inst.state.accounts.push(acct);
    return [201, { account_id: acct.id }];
  },
  getSetup: async (inst, b, p) => [200, account(inst, p.account).setup],
  putSetup: async (inst, b, p) => { account(inst, p.account).setup = b; },
  orderSync: async (inst, b, p) => { const a = account(inst, p.account); if (!a.orderSyncActive) Object.assign(a, { orderSyncActive: true, cutoff: a.cutoff ?? inst.now }); },
  syncOrder: async (inst, b, p) => {
    try { return [200, { sales_order_id: await syncOrder(inst, account(inst, p.account), p.order) }]; }
    catch (e) { if (e instanceof Refusal) throw e; throw new Refusal('order_sync_failed', `Order ${p.order} could not be synced to NetSuite: ${e.message}`); }
  },
  enable: async (inst, b, p) => {
    const a = account(inst, p.account);
    if (a.direction !== 'off' && a.direction !== b.direction && b.direction !== 'off') throw refused(a, [['other_direction_off', 'refund sync to NetSuite is already on; turn it off first']]);
    await enableRefundSync(inst, a, b.direction);
  },
  disable: async (inst, b, p) => { Object.assign(account(inst, p.account), { direction: 'off', nextRunAt: null }); },
  direction: async (inst, b, p) => [200, { direction: account(inst, p.account).direction }],
  retrieve: async (inst, b, p) => {
    const a = account(inst, p.account);
    if (a.direction !== 'to_netsuite') throw new Refusal('operation_refused', `Refund sync is off for account '${a.name}': turn it on before retrieving refunds.`);
    let order;
    try { order = await getOrder(inst, a, p.order); } catch (e) { throw new Refusal('operation_refused', e.message); }
    const rows = [];
    for (const payment of order.payments) {
      const paid = (await square(inst, a, 'GET', `/payments/${encodeURIComponent(payment)}`)).payment;
      for (const rid of paid.refund_ids || []) rows.push(record(inst, a, parseRefund((await square(inst, a, 'GET', `/refunds/${encodeURIComponent(rid)}`)).refund, order.id)));
    }
    return [200, { refunds: rows.map(view) }];
  },
  refunds: async (inst, b, p) => [200, { refunds: inst.state.refunds.filter((r) => r.accountId === account(inst, p.account).id).map(view) }],
  post: async (inst, b, p) => {
    const row = refundRow(inst, p.refund);
    if (row.status === 'canceled') throw new Refusal('operation_refused', `Refund ${row.id} is canceled, so it is not posted. Uncancel it first.`);
    if (row.status === 'posted') return [200, view(row)];
    if (!(await postClaimed(inst, row))) throw new Refusal('operation_refused', `Refund ${row.id} is being posted by another connector worker right now.`);
    return [200, view(row)];
  },
  cancel: async (inst, b, p) => {
    const row = refundRow(inst, p.refund);
    if (row.status === 'posted') throw new Refusal('operation_refused', `Refund ${row.id} is already posted (${row.targetId}); there is nothing left to cancel.`);
    if (heldByAnother(inst, row)) throw new Refusal('operation_refused', `Refund ${row.id} is being posted by another connector worker right now.`);
    Object.assign(row, { status: 'canceled', retryable: false });
    return [200, view(row)];
  },
  uncancel: async (inst, b, p) => {
    const row = refundRow(inst, p.refund);
    if (row.status !== 'canceled') throw new Refusal('operation_refused', `Refund ${row.id} is not canceled (it is ${row.status}); only a canceled refund can be uncanceled.`);
    Object.assign(row, { status: 'retrieved', error: null, retryable: false });
    return [200, view(row)];
  },
  delete: async (inst, b, p) => { const row = refundRow(inst, p.refund); inst.state.refunds.splice(inst.state.refunds.indexOf(row), 1); },
  scheduled: async (inst) => { await runScheduled(inst); },
  webhook: async () => [404, { error: 'this connector finds Square refunds on its schedule; it takes no webhooks' }],
  hosts: async (inst, b) => { inst.hosts = b; },
  close: async (inst, b, p) => { instances.delete(p.scenario); },
};
const S = '/v1/scenarios/(?<scenario>[^/]+)'; const A = `${S}/accounts/(?<account>[^/]+)`; const R = `${S}/refunds/(?<refund>[^/]+)`;
const ROUTES = [['GET', `${S}/claim`, 'claim'], ['POST', `${S}/accounts`, 'addAccount'], ['GET', `${A}/setup`, 'getSetup'], ['PUT', `${A}/setup`, 'putSetup'],
  ['POST', `${A}/order-sync`, 'orderSync'], ['POST', `${A}/orders/(?<order>[^/]+)/sync`, 'syncOrder'], ['POST', `${A}/refund-sync`, 'enable'],
  ['DELETE', `${A}/refund-sync`, 'disable'], ['GET', `${A}/direction`, 'direction'], ['POST', `${A}/orders/(?<order>[^/]+)/retrieve-refunds`, 'retrieve'],
  ['GET', `${A}/refunds`, 'refunds'], ['POST', `${R}/post`, 'post'], ['POST', `${R}/cancel`, 'cancel'], ['POST', `${R}/uncancel`, 'uncancel'],
  ['DELETE', R, 'delete'], ['POST', `${S}/scheduled-runs`, 'scheduled'], ['POST', `${S}/webhooks/(?<platform>[^/]+)`, 'webhook'],
  ['PUT', `${S}/hosts`, 'hosts'], ['DELETE', S, 'close']].map(([m, p, op]) => [m, new RegExp(`^${p}$`), op]);

async function handle(req, raw) {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path === '/v1/health') return [200, { protocol: 'v1' }];
  if (req.method === 'POST' && path === '/v1/scenarios') {
    const b = JSON.parse(raw); const id = String(nextInstance++);
    instances.set(id, { id: `worker-${id}`, state: tenant(b.tenant), hosts: b.hosts || {}, netsuite: b.netsuite,
      now: req.headers['x-harness-now'] ? Date.parse(req.headers['x-harness-now']) : Date.now() });
    return [201, { id }];
  }
  for (const [method, pattern, op] of ROUTES) {
    const m = req.method === method && pattern.exec(path);
    if (!m) continue;
    const p = Object.fromEntries(Object.entries(m.groups).map(([k, v]) => [k, decodeURIComponent(v)]));
    const inst = instances.get(p.scenario);
    if (!inst) return [404, { message: `no scenario ${p.scenario}` }];
    if (req.headers['x-harness-now']) inst.now = Date.parse(req.headers['x-harness-now']);   // the scenario's clock
    return (await OPS[op](inst, raw && op !== 'webhook' ? JSON.parse(raw) : {}, p)) || [204, null];
  }
  return [404, { message: `no operation ${req.method} ${path} in protocol v1` }];
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    let status; let body;
    try { [status, body] = await handle(req, Buffer.concat(chunks).toString()); }
    catch (e) {
      if (e instanceof Refusal) [status, body] = [409, { error: { type: e.type, message: e.message, missing: e.missing || [] } }];
      else [status, body] = [500, { message: `${e.name}: ${e.message}`, stack: String(e.stack).split('\n').slice(0, 4) }];
    }
    const text = body === null ? '' : JSON.stringify(body);
    res.writeHead(status, text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {});
    res.end(text);
  });
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
