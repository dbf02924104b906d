// The refund panel (#recent-sheet), for those who may refund: the page renders it only for them, and
// register.js imports this module only then. It lists this register's last sales (GET urls.recent), lets
// the vendor take back the whole sale or some lines and quantities, asks why, and posts
// POST /api/v1/sales/{id}/refunds. The refund's UUID is made here once and kept until the server gives a
// final answer, so a retry after a network error (automatic, or the vendor's) is applied once. Refunds need
// the network: offline, the panel says so instead. Where cards are on, a sale paid by card (its payments in
// GET /api/v1/sales/{id}) is refunded to the card by default ("method": "stripe").

import { $, el, formatTime } from './ui.js';

const WAITS = [1000, 2000, 4000];  // retries after a network error or a 5xx, same UUID each time
const TRANSIENT = new Set([408, 425, 429]);
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// The money back for `now` more units of a line of `quantity` units whose net is `net`, `before` units
// having gone back already: app/pos/rules.py refund_amount (BigInt: net × quantity can pass 2^53).
export function refundAmount(net, quantity, before, now) {
  const [n, q, b] = [BigInt(net), BigInt(quantity), BigInt(before)];
  return Number((n * (b + BigInt(now))) / q - (n * b) / q);
}

export class RefundPanel {
  constructor({ data, t, fmt, newId, csrf, renewCsrf, onAuth, onRefunded }) {
    Object.assign(this, { data, t, fmt, newId, csrf, renewCsrf, onAuth, onRefunded });
    this.sheet = $('#recent-sheet');
    this.sales = [];
    this.sale = null;      // the sale being refunded
    this.pick = new Map(); // its line_no → how many come back
    this.ids = new Map();  // sale id → the UUID of its refund not yet answered for sure
    this.busy = false;
    $('#reg-recent').addEventListener('click', () => this.open());
    $('#reg-recent').disabled = false;  // usable once this module has loaded
    $('#recent-list').addEventListener('click', (ev) => {
      const button = ev.target.closest('button[data-id]');
      const sale = button && this.sales.find((s) => s.id === button.dataset.id);
      if (sale) { this.show(sale); }
    });
    $('#refund-back').addEventListener('click', () => this.list());
    $('#refund-all').addEventListener('click', () => {
      for (const line of this.sale.lines) { this.pick.set(line.line_no, line.quantity - line.refunded_quantity); }
      this.update();
    });
    const lines = $('#refund-lines');
    lines.addEventListener('click', (ev) => {
      const button = ev.target.closest('button[data-act]');
      if (button) { this.step(button.closest('[data-no]'), button.dataset.act === 'more' ? 1 : -1); }
    });
    lines.addEventListener('change', (ev) => {
      const row = ev.target.closest('[data-no]');
      if (row) { this.step(row, 0, ev.target.value); }
    });
    $('#refund-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    $('#refund-method').addEventListener('change', () => this.update());
    addEventListener('offline', () => this.network());
    addEventListener('online', () => {  // back online with the list in view: fetch it now
      if (this.sheet.open && !this.sale) { this.say(''); this.load(); } else { this.network(); }
    });
  }

  say(text, kind = 'warn') {
    const note = $('#recent-msg');
    note.textContent = text || '';
    note.className = 'reg-notice reg-notice-' + kind;
    note.hidden = !text;
  }

  network() {
    $('#recent-offline').hidden = navigator.onLine;
    $('#refund-submit').disabled = this.busy || !navigator.onLine || Boolean(this.checking);
  }

  async open() {
    this.say('');
    this.list();
    this.sheet.showModal();
    await this.load();
  }

  async load() {
    this.network();
    if (!navigator.onLine) { return; }
    const list = $('#recent-list');
    list.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch(this.data.urls.recent, {
        credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
      });
      if (res.status === 401) { this.onAuth(true); this.say(this.t('logged_out')); return; }
      const body = await res.json();
      if (!res.ok || !Array.isArray(body.sales)) { throw new Error('HTTP ' + res.status); }
      this.sales = body.sales;
      this.drawList();
    } catch (err) {
      this.say(navigator.onLine ? this.t('recent_failed') : this.t('refund_offline'));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  drawList() {
    const { t, fmt } = this;
    const badge = { completed: 'badge-ok', partly_refunded: 'badge-warn', refunded: 'badge-muted' };
    $('#recent-empty').hidden = this.sales.length > 0;
    $('#recent-list').replaceChildren(...this.sales.map((s) => el('li', {},
      el('button', { type: 'button', class: 'recent-sale', 'data-id': s.id, disabled: s.status === 'refunded' },
        el('span', {}, t('receipt_no') + ' ', el('strong', {}, String(s.receipt_no))),
        el('strong', { class: 'am' }, fmt(s.total_vnd)),
        el('span', { class: 'small' }, formatTime(s.sold_at)),
        el('span', { class: 'badge ' + (badge[s.status] || '') }, t('status_' + s.status))))));
  }

  list() {
    this.sale = null;
    $('#recent-view').hidden = false;
    $('#refund-form').hidden = true;
  }

  show(sale) {
    const { t, fmt } = this;
    this.sale = sale;
    this.pick = new Map(sale.lines.map((l) => [l.line_no, 0]));
    if (!this.ids.has(sale.id)) { this.ids.set(sale.id, this.newId()); }
    $('#refund-title').textContent = `${t('receipt_no')} ${sale.receipt_no} · ${formatTime(sale.sold_at)} · ${fmt(sale.total_vnd)}`;
    $('#refund-lines').replaceChildren(...sale.lines.map((l) => {
      const left = l.quantity - l.refunded_quantity;
      return el('li', { class: 'refund-line', 'data-no': l.line_no, 'data-left': left },
        el('span', { class: 'nm' }, l.name),
        el('span', { class: 'small' }, t('sold_refunded', { sold: l.quantity, refunded: l.refunded_quantity }),
          ' · ', fmt(l.net_vnd)),
        left > 0 && el('span', { class: 'qty' },
          el('button', { type: 'button', class: 'btn-secondary', 'data-act': 'less', 'aria-label': t('less') + ': ' + l.name }, '−'),
          el('input', { type: 'text', inputMode: 'numeric', value: '0', 'aria-label': t('quantity') + ': ' + l.name }),
          el('button', { type: 'button', class: 'btn-secondary', 'data-act': 'more', 'aria-label': t('more') + ': ' + l.name }, '+'),
          el('span', { class: 'each' }, '/ ' + left)));
    }));
    $('#refund-reason').value = '';
    const method = $('#refund-method');
    const card = method.querySelector('option[value="stripe"]');
    method.value = 'cash';
    if (card) {
      card.hidden = card.disabled = true;
      this.paidByCard(sale, card);
    }
    this.fieldError('');
    this.say('');
    $('#recent-view').hidden = true;
    $('#refund-form').hidden = false;
    this.update();
  }

  // Whether the sale was paid by card: then the money goes back to the card, unless the vendor says otherwise.
  async paidByCard(sale, option) {
    this.checking = sale.id;
    this.network();
    try {
      const res = await fetch(this.data.urls.sale + sale.id, {
        credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
      });
      const body = res.ok ? await res.json() : null;
      const card = body && (body.payments || []).some((p) => p.method === 'stripe' && /^(succeeded|partly_refunded)$/.test(p.status));
      if (card && this.sale === sale) {
        option.hidden = option.disabled = false;
        $('#refund-method').value = 'stripe';
      }
    } catch (err) { /* no network: the panel says so; cash and transfer remain */ }
    if (this.checking === sale.id) { this.checking = null; }
    if (this.sale === sale) { this.update(); }
  }

  step(row, by, typed) {
    const no = Number(row.dataset.no);
    const left = Number(row.dataset.left);
    const raw = typed === undefined ? (this.pick.get(no) || 0) + by : Number(String(typed).trim());
    this.pick.set(no, Number.isSafeInteger(raw) ? Math.min(Math.max(raw, 0), left) : (this.pick.get(no) || 0));
    this.update();
  }

  amount() {
    let sum = 0;
    for (const l of this.sale.lines) {
      const q = this.pick.get(l.line_no) || 0;
      if (q > 0) { sum += refundAmount(l.net_vnd, l.quantity, l.refunded_quantity, q); }
    }
    return sum;
  }

  update() {
    for (const row of $('#refund-lines').children) {
      const input = row.querySelector('input');
      if (input) { input.value = String(this.pick.get(Number(row.dataset.no)) || 0); }
    }
    const amount = this.amount();
    const submit = $('#refund-submit');
    const toCard = $('#refund-method').value === 'stripe';
    submit.textContent = this.t(toCard ? 'refund_card' : 'refund_amount', { amount: this.fmt(amount) });
    submit.dataset.amount = String(amount);
    this.network();
  }

  fieldError(text) {
    const input = $('#refund-reason');
    $('#refund-reason-error').textContent = text;
    $('#refund-reason-error').hidden = !text;
    if (text) { input.setAttribute('aria-invalid', 'true'); } else { input.removeAttribute('aria-invalid'); }
  }

  async submit() {
    const { t, sale } = this;
    if (!sale || this.busy) { return; }
    this.say('');
    this.fieldError('');
    if (!navigator.onLine) { this.say(t('refund_offline')); return; }
    const chosen = sale.lines.filter((l) => (this.pick.get(l.line_no) || 0) > 0);
    if (!chosen.length) { this.say(t('refund_nothing')); return; }
    const reason = $('#refund-reason').value.trim();
    if (!reason) { this.fieldError(t('refund_reason')); $('#refund-reason').focus(); return; }
    const id = this.ids.get(sale.id);
    const body = { id, reason, method: $('#refund-method').value, register_id: this.data.register.id };
    // Every line at what is left of it: the whole (rest of the) sale, which the API takes as no lines.
    if (!sale.lines.every((l) => (this.pick.get(l.line_no) || 0) === l.quantity - l.refunded_quantity)) {
      body.lines = chosen.map((l) => ({ line_no: l.line_no, quantity: this.pick.get(l.line_no) }));
    }
    this.busy = true;
    this.network();
    try {
      const { res, answer } = await this.send(this.data.urls.refunds.replace('{id}', sale.id), body);
      this.answer(sale, res, answer);
    } finally {
      this.busy = false;
      this.network();
    }
  }

  async send(url, body) {
    let renewed = false;
    for (let attempt = 0; ; attempt += 1) {
      let res = null;
      let answer = null;
      try {
        res = await fetch(url, {
          method: 'POST',
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': this.csrf() },
          body: JSON.stringify(body),
        });
        answer = await res.json().catch(() => null);
      } catch (err) {
        res = null;  // no network, or the answer was lost: the same UUID again is safe
      }
      if (res && res.status === 403 && answer && answer.error === 'csrf' && !renewed) {
        renewed = true;
        if (await this.renewCsrf()) { attempt -= 1; continue; }
      }
      const transient = !res || res.status >= 500 || TRANSIENT.has(res.status);
      if (!transient || attempt >= WAITS.length || !navigator.onLine) { return { res, answer }; }
      await sleep(WAITS[attempt]);
    }
  }

  answer(sale, res, answer) {
    const { t, fmt } = this;
    if (!res || res.status >= 500 || TRANSIENT.has(res.status)) { this.say(t('refund_failed')); return; }
    if (res.status === 401) { this.onAuth(true); this.say(t('logged_out')); return; }
    this.ids.delete(sale.id);  // a final answer: the next refund of this sale gets a new UUID
    if (res.status !== 200 && res.status !== 201) {
      const detail = (answer && answer.detail) || t('recent_failed');
      if (answer && answer.fields && answer.fields.reason) { this.fieldError(answer.fields.reason); } else { this.say(detail, 'bad'); }
      return;
    }
    const byNo = new Map(sale.lines.map((l) => [l.line_no, l]));
    const back = (answer.lines || []).filter((l) => byNo.has(l.line_no)).map((l) => ({
      product_id: byNo.get(l.line_no).product_id, combo_id: byNo.get(l.line_no).combo_id, quantity: l.quantity,
    }));
    this.onRefunded(back);
    this.list();
    this.say(t(answer.method === 'stripe' ? 'refund_card_done' : 'refund_done', { amount: fmt(answer.amount_vnd) }), 'ok');
    this.load();
  }
}
