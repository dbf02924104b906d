// The cart and the stock arithmetic, on plain data. Items are products ("p") or gift sets ("c", combos
// that draw each component's stock). Money is whole đồng: price × quantity, less discounts, summed.

import { isDong } from './money.js';

export const MAX_QTY = 9999;

// The server's sale arithmetic (app/pos/rules.py sale_totals), step for step: a line's gross is price ×
// quantity and its total the gross less its discount; the subtotal sums the lines' totals; the total is the
// subtotal less the order discount. A discount is whole đồng from 0 to what it comes off, else RangeError.
export function saleTotals(lines, orderDiscount = 0) {
  const amounts = lines.map(({ price, quantity, discount = 0 }) => {
    const gross = price * quantity;
    if (!isDong(discount) || discount > gross) { throw new RangeError('line discount'); }
    return { gross, discount, total: gross - discount };
  });
  const subtotal = amounts.reduce((sum, a) => sum + a.total, 0);
  if (!isDong(orderDiscount) || orderDiscount > subtotal) { throw new RangeError('order discount'); }
  return { lines: amounts, subtotal, discount: orderDiscount, total: subtotal - orderDiscount };
}

export class Catalog {
  constructor(products, combos) {
    this.products = new Map(products.map((p) => [p.id, p]));
    this.combos = new Map(combos.map((c) => [c.id, c]));
  }

  item(key) {
    const [kind, raw] = key.split(':');
    const id = Number(raw);
    return kind === 'c' ? this.combos.get(id) : this.products.get(id);
  }

  // Exact SKU or barcode (what a scanner types), case-insensitive.
  byCode(code) {
    const wanted = code.trim().toLowerCase();
    if (!wanted) { return null; }
    for (const p of this.products.values()) {
      if ((p.sku && p.sku.toLowerCase() === wanted) || (p.barcode && p.barcode.toLowerCase() === wanted)) {
        return p;
      }
    }
    return null;
  }
}

export const keyOf = (kind, id) => kind + ':' + id;

// "Kẹo dừa" → "keo dua": search ignores accents, as the server's catalog search does.
export function fold(text) {
  return String(text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

// Quantities per item key, a discount per line and one on the whole sale (whole đồng). Discounts are kept
// within what they come off: fewer units or a smaller subtotal lower them with it.
export class Cart {
  // saved: what toJSON gave ({q, d, o}), or an older list of [key, quantity].
  constructor(catalog, saved = [], discounts = false) {
    this.catalog = catalog;
    this.qty = new Map();
    this.disc = new Map();
    this.orderDisc = 0;
    const { q = [], d = [], o = 0 } = Array.isArray(saved) ? { q: saved } : saved || {};
    for (const [key, n] of q) {
      if (catalog.item(key) && Number.isSafeInteger(n) && n > 0) { this.qty.set(key, Math.min(n, MAX_QTY)); }
    }
    if (discounts) {
      for (const [key, amount] of d) { if (isDong(amount)) { this.disc.set(key, amount); } }
      this.orderDisc = isDong(o) ? o : 0;
      this.fit();
    }
  }

  add(key, n = 1) { this.set(key, (this.qty.get(key) || 0) + n); }

  set(key, q) {
    if (!this.catalog.item(key)) { return; }
    const value = Math.min(Math.max(0, Math.trunc(Number(q) || 0)), MAX_QTY);
    if (value > 0) { this.qty.set(key, value); } else { this.qty.delete(key); }
    this.fit();
  }

  // A line's gross (price × quantity): the most its discount can be.
  gross(key) {
    const item = this.catalog.item(key);
    return item ? item.price * (this.qty.get(key) || 0) : 0;
  }

  // Returns false (and changes nothing) for an amount that is not whole đồng within the line.
  setDiscount(key, amount) {
    if (!this.qty.has(key) || !isDong(amount) || amount > this.gross(key)) { return false; }
    if (amount) { this.disc.set(key, amount); } else { this.disc.delete(key); }
    this.fit();
    return true;
  }

  setOrderDiscount(amount) {
    if (!isDong(amount) || amount > this.subtotal) { return false; }
    this.orderDisc = amount;
    return true;
  }

  fit() {
    for (const [key, amount] of this.disc) {
      const most = this.gross(key);
      if (!most || !amount) { this.disc.delete(key); } else if (amount > most) { this.disc.set(key, most); }
    }
    this.orderDisc = Math.min(this.orderDisc, this.subtotal);
  }

  clear() { this.qty.clear(); this.disc.clear(); this.orderDisc = 0; }

  get lines() {
    return [...this.qty].map(([key, quantity]) => {
      const item = this.catalog.item(key);
      const gross = item.price * quantity;
      const discount = Math.min(this.disc.get(key) || 0, gross);
      return { key, kind: key[0], id: item.id, name: item.name, price: item.price, quantity, gross, discount,
        total: gross - discount };
    });
  }

  // (Fitted first: a price the server lowered since may have shrunk what a discount comes off.)
  get totals() { this.fit(); return saleTotals(this.lines, this.orderDisc); }
  get count() { let n = 0; for (const q of this.qty.values()) { n += q; } return n; }
  get subtotal() { return this.lines.reduce((sum, line) => sum + line.total, 0); }
  get total() { return this.totals.total; }
  get empty() { return this.qty.size === 0; }

  toJSON() { return { q: [...this.qty], d: [...this.disc], o: this.orderDisc }; }

  // The `lines` of POST /api/v1/sales. The price shown is sent too: for a sale made offline the server
  // keeps it (the goods left at that price), even if the catalog price changed before the sale synced.
  saleLines() {
    return this.lines.map((l) => {
      const line = l.kind === 'c' ? { combo_id: l.id } : { product_id: l.id };
      Object.assign(line, { quantity: l.quantity, unit_price_vnd: l.price });
      if (l.discount) { line.discount_vnd = l.discount; }
      return line;
    });
  }
}

// Units of each product that sale lines take from stock (a combo takes its components).
export function taken(saleLines, catalog, into = new Map()) {
  for (const line of saleLines) {
    if (line.product_id != null) {
      into.set(line.product_id, (into.get(line.product_id) || 0) + line.quantity);
    } else if (line.combo_id != null) {
      const combo = catalog.combos.get(line.combo_id);
      for (const [pid, per] of (combo ? combo.items : [])) {
        into.set(pid, (into.get(pid) || 0) + per * line.quantity);
      }
    }
  }
  return into;
}

// How many of a combo the stock allows: the scarcest component decides.
export function comboStock(combo, stockOf) {
  let n = Infinity;
  for (const [pid, per] of combo.items) { n = Math.min(n, Math.floor(Math.max(0, stockOf(pid)) / per)); }
  return Number.isFinite(n) ? n : 0;
}
