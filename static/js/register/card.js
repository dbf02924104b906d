// A card payment at the register (#card-sheet), loaded by register.js only where Stripe is set up. The cart
// goes to POST /api/v1/card-checkouts as a sale without payments (its stock is held at the place); the
// sheet shows the pay page's QR code for the shopper's phone. The shopper pays there; Stripe's webhook
// writes the sale. The sheet follows the payment on /pay/{token}/events and polls the checkout every 2 s
// (the events may not get through a proxy); a declined card is said and the wait goes on (the shopper may
// try another card). Cancelling asks the server, which refuses once the money is taken.

import { $ } from './ui.js';

const POLL = 2000;

export class CardPanel {
  // onOpen(checkout): a checkout holds the cart; onPaid(checkout, sale|null): the sale is written;
  // onClosed(message): the checkout is cancelled, the cart stays.
  constructor({ data, t, fmt, csrf, renewCsrf, onAuth, onStock, onOpen, onPaid, onClosed }) {
    Object.assign(this, { data, t, fmt, csrf, renewCsrf, onAuth, onStock, onOpen, onPaid, onClosed });
    this.sheet = $('#card-sheet');
    this.checkout = null;
    this.source = null;
    this.timer = null;
    this.busy = false;
    this.failed = false;
    this.sheet.addEventListener('cancel', (ev) => ev.preventDefault());  // Escape must not lose the checkout
    $('#card-cancel').addEventListener('click', () => this.cancel());
  }

  async request(url, body, renewed = false) {
    let res = null;
    let answer = null;
    try {
      res = await fetch(url, {
        method: body ? 'POST' : 'GET',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': this.csrf() },
        body: body ? JSON.stringify(body) : undefined,
      });
      answer = await res.json().catch(() => null);
    } catch (err) {
      return { res: null, answer: null };  // no network, or the answer was lost: the same call again is safe
    }
    if (res.status === 403 && answer && answer.error === 'csrf' && !renewed && (await this.renewCsrf())) {
      return this.request(url, body, true);
    }
    if (res.status === 401) { this.onAuth(true); }
    return { res, answer };
  }

  // The pay sheet's "Card": the cart as a sale body ({id, location_id, register_id, lines, …}).
  async start(body) {
    const note = $('#pay-card-error');
    if (this.busy) { return; }
    this.busy = true;
    note.hidden = true;
    $('#pay-card').setAttribute('aria-busy', 'true');
    try {
      const { res, answer } = await this.request(this.data.urls.card_checkouts, body);
      if (res && (res.status === 200 || res.status === 201) && answer && answer.id) {
        this.settle(answer, true);
        return;
      }
      if (res && res.status === 409 && answer && answer.error === 'insufficient_stock') { this.onStock(); }
      note.textContent = !res ? this.t('card_no_network')
        : res.status === 401 ? this.t('logged_out')
          : (res.status < 500 && answer && answer.detail) || this.t('card_start_failed');
      note.hidden = false;
    } finally {
      this.busy = false;
      $('#pay-card').removeAttribute('aria-busy');
    }
  }

  // Back after a reload: the checkout this register had open.
  resume(checkout) {
    this.show(checkout);
    this.poll();
  }

  show(checkout) {
    this.checkout = checkout;
    $('#card-amount').textContent = this.fmt(checkout.amount_vnd);
    $('#card-qr').innerHTML = checkout.qr_svg || '';  // drawn by the server from the pay page's address
    const link = $('#card-url');
    link.href = checkout.pay_url;
    link.textContent = checkout.pay_url;
    this.sheet.dataset.checkoutId = checkout.id;
    this.status(this.t('card_waiting'));
    this.failed = false;
    this.error('');
    if (!this.sheet.open) { this.sheet.showModal(); }
    this.listen(checkout.pay_token);
    this.onOpen(checkout);
  }

  status(text) { $('#card-status').textContent = text; }

  error(text) {
    $('#card-error').textContent = text;
    $('#card-error').hidden = !text;
  }

  // A declined card is said until the shopper's next card is on its way (the payment is pending again).
  declined(message) {
    this.failed = true;
    this.error(message ? this.t('card_declined', { why: message }) : this.t('card_declined_plain'));
  }

  payment(status, message) {
    if (status === 'failed') {
      this.declined(message);
    } else if (this.failed) {
      this.failed = false;
      this.error('');
    }
  }

  listen(token) {
    this.stop();
    if ('EventSource' in window && token) {
      this.source = new EventSource(this.data.urls.pay + encodeURIComponent(token) + '/events');
      this.source.addEventListener('payment', (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch (err) { return; }  // the poll still runs
        this.payment(msg.status, msg.message);
        if (msg.status !== 'failed' && msg.status !== 'pending') { this.poll(); }  // the checkout says what came of it
      });
    }
    this.timer = setTimeout(() => this.poll(), POLL);
  }

  stop() {
    if (this.source) { this.source.close(); this.source = null; }
    clearTimeout(this.timer);
  }

  async poll() {
    const current = this.checkout;
    if (!current) { return; }
    clearTimeout(this.timer);
    const { res, answer } = await this.request(this.data.urls.card_checkouts + '/' + current.id);
    if (this.checkout !== current) { return; }  // settled meanwhile
    if (res && res.ok && answer) {
      this.settle(answer);
    } else if (res && res.status === 404) {
      this.close('');  // gone (another account's, or never made): nothing is held for this register
    } else if (!res) {
      this.status(this.t('card_lost'));
    }
    if (this.checkout === current) { this.timer = setTimeout(() => this.poll(), POLL); }
  }

  settle(checkout, fresh = false) {
    if (checkout.status === 'paid' && checkout.sale_id && checkout.receipt_no != null) {
      this.paid(checkout);
      return;
    }
    if (checkout.status === 'cancelled') {
      this.close(this.t('card_cancelled'));
      return;
    }
    if (fresh || !this.checkout || this.checkout.id !== checkout.id) {
      this.show(checkout);
    } else {
      this.checkout = checkout;
      this.status(this.t(checkout.payment_status === 'succeeded' ? 'card_paid' : 'card_waiting'));
    }
    this.payment(checkout.payment_status, checkout.failure_message);
  }

  async paid(checkout) {
    this.checkout = null;
    this.stop();
    this.status(this.t('card_paid'));
    const { res, answer } = await this.request(this.data.urls.sale + checkout.sale_id);
    if (this.sheet.open) { this.sheet.close(); }
    this.onPaid(checkout, res && res.ok && answer ? answer : null);
  }

  close(message) {
    this.checkout = null;
    this.stop();
    if (this.sheet.open) { this.sheet.close(); }
    this.onClosed(message);
  }

  async cancel() {
    const current = this.checkout;
    const button = $('#card-cancel');
    if (!current || button.disabled) { return; }
    button.disabled = true;
    this.error('');
    try {
      const { res, answer } = await this.request(`${this.data.urls.card_checkouts}/${current.id}/cancel`, {});
      if (this.checkout !== current) { return; }
      if (res && res.ok && answer) {
        this.settle(answer);
      } else {
        // 409: the money is taken, the sale is on its way: keep waiting for it.
        this.failed = false;
        this.error(!res ? this.t('card_no_network') : (answer && answer.detail) || this.t('card_cancel_failed'));
      }
    } finally {
      button.disabled = false;
    }
  }
}
