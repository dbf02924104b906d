// The register page: tiles → cart → payment → receipt, and the outbox that gets every sale to the server
// sooner or later. Reads its data from the page (#register-data, #register-strings); talks to
// /api/v1/sales and /api/v1/locations/{id}/stock; works offline through the service worker (/pos/sw.js).
// A card payment (card.js, where Stripe is set up) needs the network: its sale is written by the server.

import { formatter, parseDong } from './money.js';
import { open, outbox, meta } from './store.js';
import { Catalog, Cart, fold, keyOf, taken, comboStock } from './cart.js';
import { Sync } from './sync.js';
import { $, Tiles, translator, renderLines, renderStatus, renderAttention, renderReceipt } from './ui.js';

const data = JSON.parse($('#register-data').textContent);
const { t, tn } = translator(JSON.parse($('#register-strings').textContent), data.locale);
const fmt = formatter(data.locale);
const catalog = new Catalog(data.products, data.combos);
const REGISTER = data.register.id;
const KEY = {
  stock: 'stock:' + data.location.id, cart: 'cart:' + REGISTER, recent: 'recent:' + REGISTER, card: 'card:' + REGISTER,
};
const DISCOUNTS = Boolean(data.can_discount);  // vendors and admins; never a cashier (the server checks too)

const state = {
  base: new Map(data.products.map((p) => [p.id, p.stock])),  // stock as the server last told it
  basis: Date.parse(data.rendered_at),                         // when (server clock)
  entries: [],                                                 // this register's outbox, oldest first
  recent: {},                                                  // item key → when last sold
  storage: true,
  pay: null,                                                   // the sale being paid: {id, total, tendered}
  receipt: null,                                               // the sale on the receipt sheet
  card: null,                                                  // the open card checkout: {checkout, view}
  cardView: null,                                              // the receipt of the card sale being started
};
let cardPanel = null;
let cart = new Cart(catalog);
let csrfToken = JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || '';

// ---- stock: the server's last word, less what this phone sold that the server has not heard of ----

function unsent() {
  const map = new Map();
  for (const e of state.entries) { taken(e.body.lines, catalog, map); }
  return map;
}

function stockView() {
  const out = unsent();
  // A card checkout holds the cart on the server already: the server's stock counts it.
  const cartTaken = state.card ? new Map() : taken(cart.saleLines(), catalog);
  const left = (pid) => (state.base.get(pid) ?? 0) - (out.get(pid) || 0);
  const free = (pid) => left(pid) - (cartTaken.get(pid) || 0);  // what is left once this cart goes
  return (key) => {
    const item = catalog.item(key);
    const rest = key[0] === 'c' ? comboStock(item, free) : free(item.id);
    const label = rest > 0 ? t('left', { n: rest }) : t('sold_out');
    return { stock: rest, inCart: cart.qty.get(key) || 0, label, price: fmt(item.price) };
  };
}

function saveStock() {
  if (!state.storage) { return; }
  const prices = [...catalog.products.values()].map((p) => [p.id, p.price, p.name]);
  meta.set(KEY.stock, { basis: state.basis, stock: [...state.base], prices }).catch(() => {});
}

function applyPrices(prices) {
  for (const [id, price, name] of prices || []) {
    const p = catalog.products.get(id);
    if (p) { p.price = price; p.name = name || p.name; }
  }
}

async function refreshStock() {
  if (!navigator.onLine) { return; }
  try {
    const res = await fetch(data.urls.stock, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!res.ok) { return; }
    const rows = await res.json();
    const when = Date.parse(res.headers.get('Date') || '') || Date.now();
    // Older than what we know (the worker's kept copy, say): ignore. Date has whole seconds, hence the slack.
    if (!Array.isArray(rows) || when + 1000 < state.basis) { return; }
    state.base = new Map(rows.map((r) => [r.product_id, r.on_hand]));
    state.basis = when;
    applyPrices(rows.filter((r) => Number.isSafeInteger(r.price_vnd)).map((r) => [r.product_id, r.price_vnd, null]));
    saveStock();
    render();
  } catch (err) { /* offline: keep what we have */ }
}

let refreshSoon = null;
function refreshLater() { clearTimeout(refreshSoon); refreshSoon = setTimeout(refreshStock, 400); }

function listenLive() {
  if (!('EventSource' in window) || !data.urls.live) { return; }
  const source = new EventSource(data.urls.live);
  source.addEventListener('stock', (ev) => {
    try {
      const msg = JSON.parse(ev.data);
      for (const [pid, onHand] of Object.entries(msg.stock || {})) { state.base.set(Number(pid), onHand); }
      saveStock();
      render();
    } catch (err) { /* a malformed event changes nothing */ }
  });
}

// ---- drawing ----

const items = [
  ...data.products.map((p) => ({ ...p, key: keyOf('p', p.id), search: fold([p.name, p.sku, p.barcode].join(' ')) })),
  ...data.combos.map((c) => ({ ...c, key: keyOf('c', c.id), search: fold(c.name + ' ' + t('combo')) })),
];
const tiles = new Tiles($('#reg-tiles'), items, fmt);

function visibleKeys() {
  const words = fold($('#reg-q').value).split(/\s+/).filter(Boolean);
  const shown = items.filter((it) => words.every((w) => it.search.includes(w)));
  const when = (it) => state.recent[it.key] || 0;
  // Recently sold first; the rest keep the catalog's order (by name).
  return shown.map((it, i) => [it, i]).sort((a, b) => when(b[0]) - when(a[0]) || a[1] - b[1]).map(([it]) => it.key);
}

let drawnLines = '';
function render() {
  const keys = visibleKeys();
  tiles.show(keys, stockView());
  $('#reg-nomatch').hidden = keys.length > 0;
  const lines = cart.lines;
  const signature = JSON.stringify(lines.map((l) => [l.key, l.quantity, l.price, l.discount]));
  if (signature !== drawnLines) {  // redraw only a changed cart: never under the cashier's typing finger
    renderLines($('#reg-lines'), lines, fmt, t, DISCOUNTS);
    drawnLines = signature;
  }
  const totals = cart.totals;
  $('#reg-cart-empty').hidden = !cart.empty;
  $('#reg-count').textContent = cart.empty ? '' : tn('items', cart.count);
  $('#reg-total').textContent = fmt(totals.total);
  $('#reg-total').dataset.amount = String(totals.total);
  if (DISCOUNTS) {
    $('#reg-order').hidden = cart.empty;
    $('#reg-subtotal').textContent = totals.discount ? t('subtotal', { amount: fmt(totals.subtotal) }) : '';
    $('#reg-order-disc').textContent = totals.discount ? t('less_amount', { amount: fmt(totals.discount) }) : '';
    $('#reg-order-disc').dataset.amount = String(totals.discount);
  }
  $('#reg-pay').disabled = cart.empty;
  cardButton();
  renderStatus($('#reg-status'), { online: navigator.onLine, pending: state.entries.filter((e) => e.state === 'pending').length }, t, tn);
  const refused = state.entries.filter((e) => e.state === 'attention');
  const bar = $('#reg-attention');
  bar.hidden = refused.length === 0;
  bar.dataset.count = String(refused.length);
  bar.textContent = refused.length ? tn('attention', refused.length) + ' ›' : '';
  renderAttention($('#att-list'), refused, fmt, t);
}

function saveCart() {
  if (state.storage) { meta.set(KEY.cart, cart.toJSON()).catch(() => {}); }
}

// ---- the outbox ----

let reloads = 0;
async function reloadEntries() {
  const mine = ++reloads;
  const entries = state.storage ? await outbox.list(REGISTER).catch(() => null) : null;
  if (mine !== reloads) { return; }  // a later reload is on its way: this answer may be stale
  if (entries) { state.entries = entries; }
  render();
}

function saleId() {
  if (crypto.randomUUID) { return crypto.randomUUID(); }
  const b = crypto.getRandomValues(new Uint8Array(16));  // plain http on a LAN: no randomUUID there
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The transfer message of a sale's VietQR payment, printed under the code: the same rule as the server's
// app.pos.rules.payment_reference ("CP" and the first 12 hex digits of the sale's UUID).
const reference = (id) => 'CP' + id.replace(/-/g, '').slice(0, 12).toUpperCase();

async function renewCsrf() {
  try {
    const res = await fetch(data.urls.csrf, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) { return false; }
    const body = await res.json();
    if (!body.csrf_token) { return false; }
    csrfToken = body.csrf_token;
    document.body.setAttribute('hx-headers', JSON.stringify({ 'X-CSRFToken': csrfToken }));
    return true;
  } catch (err) { return false; }
}

const sync = new Sync({
  registerId: REGISTER,
  url: data.urls.sales,
  csrf: () => csrfToken,
  renewCsrf,
  onAuth: (on) => { $('#reg-auth').hidden = !on; },
  onChange: (refused) => {
    reloadEntries();
    if (!refused || !refused.error) { return; }
    if (refused.error.code === 'insufficient_stock') { refreshStock(); }
    if (state.receipt && state.receipt.id === refused.id) {  // the cashier is still looking at it: say so here
      $('#rc-error').textContent = refused.error.detail || t('refused');
      $('#rc-error').hidden = false;
    }
  },
  onSent: (entry, sale) => {
    $('#reg-auth').hidden = true;
    // The server has it now: count it in the base until the next stock answer says so itself.
    for (const [pid, q] of taken(entry.body.lines, catalog)) { state.base.set(pid, (state.base.get(pid) ?? 0) - q); }
    saveStock();
    if (state.receipt && state.receipt.id === entry.id) { showSent(sale); }
    refreshLater();
  },
});

// ---- paying ----

const paySheet = $('#pay-sheet');
const qrSheet = $('#qr-sheet');
const receiptSheet = $('#receipt-sheet');

function openPay() {
  if (cart.empty) { return; }
  state.pay = { id: saleId(), total: cart.total, tendered: 0 };
  $('#pay-total').textContent = fmt(state.pay.total);
  updatePay();
  if (data.card) { $('#pay-card-error').hidden = true; cardButton(); }
  paySheet.showModal();
}

// "Card": online only, and only once card.js is loaded; it pays the whole total.
function cardButton() {
  if (!data.card) { return; }
  $('#pay-card').disabled = !cardPanel || !navigator.onLine || !state.pay || state.pay.total <= 0;
  $('#pay-card-offline').hidden = navigator.onLine;
}

function updatePay(fromInput = false) {
  const p = state.pay;
  if (!fromInput) { $('#pay-tendered').value = fmt(p.tendered); }
  const change = p.tendered - p.total;
  $('#pay-change').textContent = fmt(Math.max(0, change));
  $('#pay-change').dataset.amount = String(Math.max(0, change));
  $('#pay-short').hidden = change >= 0 || p.tendered === 0;
  $('#pay-short').textContent = t('short', { amount: fmt(-change) });
  $('#pay-cash-done').disabled = change < 0;
  const split = $('#pay-split');
  split.hidden = !data.vietqr.enabled || p.tendered <= 0 || change >= 0;
  split.textContent = t('split', { amount: fmt(Math.max(0, -change)) });
}

async function showQr(amount, cashPart) {
  const p = state.pay;
  p.qr = { amount, cash: cashPart };
  $('#qr-amount').textContent = fmt(amount);
  $('#qr-ref').textContent = reference(p.id);
  $('#qr-split').hidden = !cashPart;
  $('#qr-split').textContent = cashPart ? t('split_cash', { amount: fmt(cashPart) }) : '';
  const img = $('#qr-img');
  const staticCode = $('#qr-static');
  const note = $('#qr-note');
  img.hidden = true;
  staticCode.hidden = true;
  note.hidden = true;
  $('#qr-loading').hidden = false;
  qrSheet.showModal();
  const fallback = (message) => {
    $('#qr-loading').hidden = true;
    staticCode.hidden = false;
    note.textContent = message;
    note.hidden = false;
  };
  if (!navigator.onLine) { fallback(t('qr_offline')); return; }
  try {
    const url = `${data.urls.vietqr}?amount=${amount}&ref=${encodeURIComponent(reference(p.id))}`;
    const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) { fallback(t('qr_failed')); return; }
    const blob = await res.blob();
    if (img.src.startsWith('blob:')) { URL.revokeObjectURL(img.src); }
    img.src = URL.createObjectURL(blob);
    await img.decode().catch(() => {});
    $('#qr-loading').hidden = true;
    img.hidden = false;
  } catch (err) {
    fallback(t('qr_offline'));
  }
}

// The cart as the body of a sale (POST /api/v1/sales, or a card checkout), payments aside.
function saleBody(id) {
  const body = { id, location_id: data.location.id, register_id: REGISTER, locale: data.locale, lines: cart.saleLines() };
  const { discount } = cart.totals;
  if (discount) { body.discount_vnd = discount; }
  return body;
}

// What the receipt shows: the lines, the totals and how it was paid.
function saleView(total, paid) {
  const totals = cart.totals;
  return {
    lines: cart.lines.map(({ name, price, quantity, discount, total: sum }) => ({ name, price, quantity, discount, total: sum })),
    subtotal: totals.subtotal,
    discount: totals.discount,
    total,
    ...paid,
  };
}

async function complete(payments, paid) {
  const p = state.pay;
  if (!p || p.done) { return; }  // a double tap must not ring the sale up twice
  p.done = true;
  const now = new Date().toISOString();
  const entry = {
    id: p.id,
    registerId: REGISTER,
    seq: Date.now(),
    createdAt: now,
    state: 'pending',
    attempts: 0,
    nextAt: 0,
    error: null,
    // The pass names whoever opened this page: if the sale waits in the outbox until someone else is
    // logged in on this phone, it is still theirs.
    body: { ...saleBody(p.id), offline: !navigator.onLine, created_at: now, payments, cashier_pass: data.cashier_pass },
    view: saleView(p.total, paid),
  };
  try {
    await sync.add(entry);
  } catch (err) {
    p.done = false;
    window.alert(t('save_failed'));
    return;
  }
  sold(entry);
}

// The sale is the phone's (in the outbox) or the server's (paid by card): the cart is done with.
function sold(entry) {
  const when = Date.now();
  for (const line of cart.lines) { state.recent[line.key] = when; }
  if (state.storage) { meta.set(KEY.recent, state.recent).catch(() => {}); }
  cart.clear();
  saveCart();
  state.pay = null;
  if (qrSheet.open) { qrSheet.close(); }
  if (paySheet.open) { paySheet.close(); }
  $('#reg-q').value = '';
  render();
  showReceipt(entry);
}

// ---- card payments (card.js): the server holds the cart while the shopper pays on their phone ----

function payByCard() {
  const p = state.pay;
  if (!p || !cardPanel || !navigator.onLine || p.total <= 0) { return; }
  state.cardView = saleView(p.total, { cash: 0, change: 0, vietqr: 0, card: p.total });
  cardPanel.start(saleBody(p.id));
}

function saveCard() {
  if (state.storage) { meta.set(KEY.card, state.card).catch(() => {}); }
}

async function startCards(saved) {
  try {
    const { CardPanel } = await import('./card.js');
    cardPanel = new CardPanel({
      data, t, fmt, csrf: () => csrfToken, renewCsrf,
      onAuth: (on) => { $('#reg-auth').hidden = !on; },
      onStock: refreshStock,
      onOpen: (checkout) => {
        const view = (state.card && state.card.checkout.id === checkout.id && state.card.view) || state.cardView;
        state.card = { checkout, view };
        saveCard();
        render();
        refreshLater();  // the hold has changed the server's stock
      },
      onPaid: (checkout, sale) => {
        const view = state.card ? state.card.view : state.cardView;
        state.card = null;
        saveCard();
        const createdAt = (sale && sale.created_at) || new Date().toISOString();
        sold({ id: checkout.id, createdAt, view });
        showSent(sale || { receipt_no: checkout.receipt_no });
        refreshLater();
      },
      onClosed: (message) => {
        state.card = null;
        saveCard();
        if (state.pay) {  // the same sale id would find the cancelled checkout again
          state.pay.id = saleId();
          $('#pay-card-error').textContent = message;
          $('#pay-card-error').hidden = !message;
        }
        render();
        refreshLater();  // the hold is back
      },
    });
    render();
    if (saved && saved.checkout && saved.view) {  // open when the page was reloaded
      state.card = saved;
      cardPanel.resume(saved.checkout);
    }
  } catch (err) {
    console.warn('card payments did not load:', err);
  }
}

// ---- the receipt ----

function receiptUrl(entry, sale) {
  const path = (sale && sale.receipt_url) || data.urls.receipt + entry.id;
  return new URL(path, location.origin).href;
}

function showReceipt(entry) {
  state.receipt = { id: entry.id, url: receiptUrl(entry) };
  renderReceipt(entry, fmt);
  receiptSheet.dataset.saleId = entry.id;
  $('#rc-no').textContent = t('receipt_pending');
  $('#rc-url').textContent = state.receipt.url;
  $('#rc-qr').hidden = true;
  $('#rc-qr-note').hidden = true;
  $('#rc-error').hidden = true;
  loadReceiptQr();
  receiptSheet.showModal();
}

function showSent(sale) {
  if (sale.receipt_no != null) { $('#rc-no').textContent = String(sale.receipt_no); }
  if (sale.receipt_url) {
    state.receipt.url = new URL(sale.receipt_url, location.origin).href;
    $('#rc-url').textContent = state.receipt.url;
  }
  if ($('#rc-qr').hidden) { loadReceiptQr(); }
}

async function loadReceiptQr() {
  const { id } = state.receipt;
  const img = $('#rc-qr');
  try {
    if (!navigator.onLine) { throw new Error('offline'); }
    const res = await fetch(data.urls.receipt_qr + id, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) { throw new Error('HTTP ' + res.status); }
    const blob = await res.blob();
    if (!state.receipt || state.receipt.id !== id) { return; }
    if (img.src.startsWith('blob:')) { URL.revokeObjectURL(img.src); }
    img.src = URL.createObjectURL(blob);
    img.hidden = false;
    $('#rc-qr-note').hidden = true;
  } catch (err) {
    $('#rc-qr-note').hidden = false;
  }
}

async function share() {
  const url = state.receipt && state.receipt.url;
  if (!url) { return; }
  if (navigator.share) {
    try { await navigator.share({ title: t('share_title'), url }); return; } catch (err) {
      if (err && err.name === 'AbortError') { return; }
    }
  }
  try { await navigator.clipboard.writeText(url); } catch (err) { /* http: no clipboard; the link is shown */ }
  const button = $('#rc-share');
  const label = button.textContent;
  button.textContent = t('copied');
  setTimeout(() => { button.textContent = label; }, 2000);
}

// ---- discounts: a line's or the whole sale's, in whole đồng (the sheet exists only for those allowed) ----

let discountOf = null;  // the line's key, or '' for the whole sale

function openDiscount(key) {
  const line = key ? cart.lines.find((l) => l.key === key) : null;
  if (key && !line) { return; }
  discountOf = key;
  const now = line ? line.discount : cart.orderDisc;
  $('#disc-title').textContent = line ? t('line_discount', { name: line.name }) : t('order_discount');
  $('#disc-hint').textContent = t('disc_max', { amount: fmt(line ? line.gross : cart.subtotal) });
  const input = $('#disc-amount');
  input.value = now ? fmt(now) : '';
  input.removeAttribute('aria-invalid');
  $('#disc-error').hidden = true;
  $('#disc-sheet').showModal();
  input.focus();
  input.select();
}

function applyDiscount(amount) {
  const key = discountOf;
  const ok = amount != null && (key ? cart.setDiscount(key, amount) : cart.setOrderDiscount(amount));
  if (!ok) {
    $('#disc-error').textContent = t('disc_bad', { amount: fmt(key ? cart.gross(key) : cart.subtotal) });
    $('#disc-error').hidden = false;
    $('#disc-amount').setAttribute('aria-invalid', 'true');
    return;
  }
  saveCart();
  render();
  $('#disc-sheet').close();
}

function wireDiscounts() {
  $('#reg-order-btn').addEventListener('click', () => openDiscount(''));
  $('#disc-apply').addEventListener('click', () => applyDiscount(parseDong($('#disc-amount').value)));
  $('#disc-none').addEventListener('click', () => applyDiscount(0));
  $('#disc-amount').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); applyDiscount(parseDong(ev.target.value)); }
  });
}

// ---- refunds: the recent-sales panel, loaded only for those who may refund ----

async function startRefunds() {
  try {
    const { RefundPanel } = await import('./refund.js');
    new RefundPanel({
      data, t, fmt, newId: saleId, csrf: () => csrfToken, renewCsrf,
      onAuth: (on) => { $('#reg-auth').hidden = !on; },
      // The goods are back: count them in at once; the server's next stock answer has the last word.
      onRefunded: (lines) => {
        for (const [pid, q] of taken(lines, catalog)) { state.base.set(pid, (state.base.get(pid) ?? 0) + q); }
        saveStock();
        render();
        refreshLater();
      },
    });
  } catch (err) {
    console.warn('the refund panel did not load:', err);
  }
}

// ---- events ----

function wire() {
  $('#reg-tiles').addEventListener('click', (ev) => {
    const tile = ev.target.closest('button[data-key]');
    if (!tile) { return; }
    cart.add(tile.dataset.key);
    saveCart();
    render();
  });

  $('#reg-q').addEventListener('input', () => render());
  $('#reg-q').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { ev.target.value = ''; render(); return; }
    if (ev.key !== 'Enter') { return; }
    ev.preventDefault();
    const byCode = catalog.byCode(ev.target.value);
    const keys = visibleKeys();
    const key = byCode ? keyOf('p', byCode.id) : keys.length === 1 ? keys[0] : null;
    if (!key) { return; }
    cart.add(key);
    ev.target.value = '';
    saveCart();
    render();
  });

  const lines = $('#reg-lines');
  lines.addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-act]');
    if (!button) { return; }
    const key = button.closest('[data-key]').dataset.key;
    if (button.dataset.act === 'disc') { openDiscount(key); return; }
    cart.set(key, (cart.qty.get(key) || 0) + (button.dataset.act === 'more' ? 1 : -1));
    saveCart();
    render();
  });
  lines.addEventListener('change', (ev) => {
    if (ev.target.dataset.act !== 'qty') { return; }
    const key = ev.target.closest('[data-key]').dataset.key;
    const q = parseDong(ev.target.value);  // a count is read like an amount: digits only
    cart.set(key, q == null ? cart.qty.get(key) : q);
    saveCart();
    render();
  });

  $('#reg-pay').addEventListener('click', openPay);
  if (DISCOUNTS) { wireDiscounts(); }
  $('#pay-notes').addEventListener('click', (ev) => {
    const note = ev.target.closest('[data-note]');
    if (!note || !state.pay) { return; }
    state.pay.tendered += Number(note.dataset.note);
    updatePay();
  });
  $('#pay-exact').addEventListener('click', () => { state.pay.tendered = state.pay.total; updatePay(); });
  $('#pay-clear').addEventListener('click', () => { state.pay.tendered = 0; updatePay(); });
  $('#pay-tendered').addEventListener('input', (ev) => {
    const value = parseDong(ev.target.value);
    if (value != null && state.pay) { state.pay.tendered = value; updatePay(true); }
  });
  $('#pay-tendered').addEventListener('focus', (ev) => ev.target.select());
  $('#pay-tendered').addEventListener('blur', () => state.pay && updatePay());
  $('#pay-cash-done').addEventListener('click', () => {
    const p = state.pay;
    if (!p || p.tendered < p.total) { return; }
    complete([{ method: 'cash', amount_vnd: p.total, tendered_vnd: p.tendered }],
      { cash: p.tendered, change: p.tendered - p.total, vietqr: 0 });
  });
  $('#pay-vietqr').addEventListener('click', () => state.pay && showQr(state.pay.total, 0));
  $('#pay-split').addEventListener('click', () => {
    const p = state.pay;
    if (p && p.tendered > 0 && p.tendered < p.total) { showQr(p.total - p.tendered, p.tendered); }
  });
  if (data.card) { $('#pay-card').addEventListener('click', payByCard); }
  $('#qr-done').addEventListener('click', () => {
    const p = state.pay;
    if (!p || !p.qr) { return; }
    const payments = [];
    if (p.qr.cash) { payments.push({ method: 'cash', amount_vnd: p.qr.cash, tendered_vnd: p.qr.cash }); }
    payments.push({ method: 'vietqr', amount_vnd: p.qr.amount });
    complete(payments, { cash: p.qr.cash, change: 0, vietqr: p.qr.amount });
  });

  $('#rc-print').addEventListener('click', () => window.print());
  $('#rc-share').addEventListener('click', share);
  receiptSheet.addEventListener('close', () => {
    state.receipt = null;
    // Ready for the next scan with a keyboard or scanner; on a touch screen, no keyboard popping up.
    if (matchMedia('(pointer: fine)').matches) { $('#reg-q').focus(); }
  });

  $('#reg-attention').addEventListener('click', () => $('#attention-sheet').showModal());
  $('#att-list').addEventListener('click', async (ev) => {
    const button = ev.target.closest('button[data-act]');
    if (!button) { return; }
    const id = button.closest('[data-id]').dataset.id;
    const act = button.dataset.act;
    if (act === 'discard') {
      if (!window.confirm(t('discard_confirm'))) { return; }
      await sync.discard(id);
      refreshLater();
    } else {
      await sync.resend(id, act === 'offline');
    }
    if (!state.entries.some((e) => e.state === 'attention' && e.id !== id)) { $('#attention-sheet').close(); }
  });

  for (const button of document.querySelectorAll('dialog [data-close]')) {
    button.addEventListener('click', () => button.closest('dialog').close());
  }

  const goOnline = () => { render(); refreshStock(); };
  addEventListener('online', goOnline);
  addEventListener('offline', () => render());

  // Keep the page's bottom padding equal to the cart strip, so the last tiles are never hidden under it.
  new ResizeObserver(([entry]) => {
    document.body.style.setProperty('--cart-h', Math.ceil(entry.contentRect.height + 24) + 'px');
  }).observe($('#reg-cart'));
}

// ---- offline shell ----

// Ask the worker to keep this page, then say so (tests wait for html[data-offline-ready]).
async function keepOffline() {
  if (!('serviceWorker' in navigator)) { return; }
  try {
    await navigator.serviceWorker.register(data.urls.sw, { scope: data.urls.scope });
    const { active } = await navigator.serviceWorker.ready;
    const reply = await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (ev) => resolve(ev.data);
      active.postMessage({ type: 'keep', urls: [location.pathname] }, [channel.port2]);
      setTimeout(() => resolve(null), 15000);
    });
    if (reply && reply.ok) { document.documentElement.dataset.offlineReady = '1'; }
  } catch (err) {
    console.warn('the register will not open offline:', err);
  }
}

// ---- start ----

let openCard = null;  // the card checkout this register had open (saved on the phone)

async function start() {
  try {
    await open();
  } catch (err) {
    state.storage = false;
    $('#reg-storage').hidden = false;
  }
  if (state.storage) {
    const [saved, savedCart, recent, savedCard] = await Promise.all([
      meta.get(KEY.stock), meta.get(KEY.cart), meta.get(KEY.recent), meta.get(KEY.card),
    ]).catch(() => [null, null, null, null]);
    openCard = savedCard;
    if (saved && saved.basis > state.basis) {  // the page came from the worker's cache: the phone knows better
      state.base = new Map(saved.stock);
      state.basis = saved.basis;
      applyPrices(saved.prices);
    } else {
      saveStock();
    }
    cart = new Cart(catalog, savedCart || [], DISCOUNTS);
    state.recent = recent || {};
    state.entries = await outbox.list(REGISTER).catch(() => []);
  }
  wire();
  render();
  document.documentElement.dataset.registerReady = '1';
  sync.run();
  refreshStock();
  listenLive();
  setInterval(refreshStock, 60000);
  keepOffline();
  if (data.can_refund) { startRefunds(); }
  if (data.card) { startCards(openCard); }
}

start();
