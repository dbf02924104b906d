// Sends the outbox to POST /api/v1/sales, oldest first, one at a time.
//
//   200 / 201             on the server: removed from the outbox.
//   network error, 5xx,
//   408, 429              kept; tried again with exponential back-off (1 s … 60 s) and at once when the
//                         browser says it is online again. From then on the sale is marked "offline":
//                         its goods have left, so the server accepts it even where stock is short.
//   401, CSRF 403         kept: the cashier must log in again (or the token is renewed and it is re-sent).
//   any other 4xx         kept as "needs attention" with the server's message, for the cashier to resolve;
//                         the sales after it go on.
// A sale is never dropped here: only the cashier's "discard" removes one that the server did not take.

import { outbox } from './store.js';

export const MAX_DELAY = 60000;

export function backoff(attempts) {
  const base = Math.min(MAX_DELAY, 1000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

const TRANSIENT = new Set([408, 425, 429]);

export class Sync {
  constructor({ registerId, url, csrf, renewCsrf, onSent, onChange, onAuth }) {
    Object.assign(this, { registerId, url, csrf, renewCsrf, onSent, onChange, onAuth });
    this.running = false;
    this.again = false;
    this.timer = null;
    addEventListener('online', () => this.now());
    document.addEventListener('visibilitychange', () => { if (!document.hidden) { this.run(); } });
  }

  // Write first, then send: the sale is on the phone before anything else happens.
  async add(entry) {
    await outbox.put(entry);
    this.onChange();
    this.run();
  }

  // The network is back (or the cashier asked): forget the waits and send now.
  async now() {
    for (const e of await outbox.list(this.registerId)) {
      if (e.state === 'pending' && e.nextAt > 0) { e.nextAt = 0; await outbox.put(e); }
    }
    this.run();
  }

  async run() {
    if (this.running) { this.again = true; return; }
    this.running = true;
    clearTimeout(this.timer);
    try {
      do { this.again = false; await this.pass(); } while (this.again);
    } catch (err) {
      console.error('register sync', err);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  async pass() {
    for (const entry of await outbox.list(this.registerId)) {
      if (entry.state !== 'pending') { continue; }
      if (entry.nextAt > Date.now()) { return; }  // oldest first: the rest wait behind it
      if (!(await this.send(entry))) { return; }
    }
  }

  async schedule() {
    const waiting = (await outbox.list(this.registerId)).filter((e) => e.state === 'pending');
    if (!waiting.length || this.authBlocked) { return; }
    const due = waiting[0].nextAt || 0;  // the oldest goes first; the others wait behind it
    this.timer = setTimeout(() => this.run(), Math.max(250, due - Date.now()));
  }

  // One POST. Returns true to go on with the next sale, false to stop this pass.
  async send(entry, renewed = false) {
    let res;
    let body = null;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': this.csrf() },
        body: JSON.stringify(entry.body),
      });
      body = await res.json().catch(() => null);
    } catch (err) {
      return this.later(entry);  // no network, or the server went away mid-answer
    }
    if (res.status === 200 || res.status === 201) {
      await outbox.remove(entry.id);
      this.authBlocked = false;
      this.onSent(entry, body || {});
      this.onChange();
      return true;
    }
    if (res.status === 401 || (res.status === 403 && body && body.error === 'csrf')) {
      if (res.status === 403 && !renewed && (await this.renewCsrf())) { return this.send(entry, true); }
      this.authBlocked = res.status === 401;
      this.onAuth(true);
      return this.later(entry);
    }
    if (res.status >= 500 || TRANSIENT.has(res.status) || !body || typeof body !== 'object') {
      return this.later(entry);
    }
    entry.state = 'attention';
    entry.error = {
      status: res.status,
      code: String(body.error || ''),
      detail: String(body.detail || ''),
      product_id: body.product_id ?? null,
      available: body.available ?? null,
    };
    await outbox.put(entry);
    this.onChange(entry);
    return true;
  }

  async later(entry) {
    entry.attempts = (entry.attempts || 0) + 1;
    entry.nextAt = Date.now() + backoff(entry.attempts);
    entry.body.offline = true;
    await outbox.put(entry);
    this.onChange();
    return false;
  }

  // The cashier's decisions on a refused sale.
  async resend(id, asOffline) {
    const entry = await outbox.get(id);
    if (!entry) { return; }
    Object.assign(entry, { state: 'pending', error: null, attempts: 0, nextAt: 0 });
    if (asOffline) { entry.body.offline = true; }
    await outbox.put(entry);
    this.onChange();
    this.run();
  }

  async discard(id) {
    await outbox.remove(id);
    this.onChange();
  }
}
