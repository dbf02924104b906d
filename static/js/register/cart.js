// The cart and the stock arithmetic, on plain data. Items are products ("p") or gift sets ("c", combos
// that draw each component's stock). Money is whole đồng: price × quantity, summed.

export const MAX_QTY = 9999;

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

export class Cart {
  constructor(catalog, saved = []) {
    this.catalog = catalog;
    this.qty = new Map();
    for (const [key, q] of saved) {
      if (catalog.item(key) && Number.isSafeInteger(q) && q > 0) { this.qty.set(key, Math.min(q, MAX_QTY)); }
    }
  }

  add(key, n = 1) { this.set(key, (this.qty.get(key) || 0) + n); }

  set(key, q) {
    if (!this.catalog.item(key)) { return; }
    const value = Math.min(Math.max(0, Math.trunc(Number(q) || 0)), MAX_QTY);
    if (value > 0) { this.qty.set(key, value); } else { this.qty.delete(key); }
  }

  clear() { this.qty.clear(); }

  get lines() {
    return [...this.qty].map(([key, quantity]) => {
      const item = this.catalog.item(key);
      return { key, kind: key[0], id: item.id, name: item.name, price: item.price, quantity,
        total: item.price * quantity };
    });
  }

  get count() { let n = 0; for (const q of this.qty.values()) { n += q; } return n; }
  get total() { return this.lines.reduce((sum, line) => sum + line.total, 0); }
  get empty() { return this.qty.size === 0; }

  toJSON() { return [...this.qty]; }

  // The `lines` of POST /api/v1/sales. The price shown is sent too: for a sale made offline the server
  // keeps it (the goods left at that price), even if the catalog price changed before the sale synced.
  saleLines() {
    return this.lines.map((l) => (l.kind === 'c'
      ? { combo_id: l.id, quantity: l.quantity, unit_price_vnd: l.price }
      : { product_id: l.id, quantity: l.quantity, unit_price_vnd: l.price }));
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
