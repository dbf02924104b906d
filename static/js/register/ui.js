// Drawing the register: small DOM helpers and the parts of the screen that are built from data. Text
// comes from the server-translated strings (#register-strings); nothing here is in a language of its own.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) { continue; }
    if (name === 'class') { node.className = value; } else if (name in node && name !== 'list') {
      node[name] = value;
    } else { node.setAttribute(name, value === true ? '' : value); }
  }
  node.append(...children.flat().filter((c) => c != null && c !== false));
  return node;
}

// t('left', {n: 3}) fills "{n}"; tn('items', 3) picks the plural form the locale wants.
export function translator(strings, locale) {
  const plural = new Intl.PluralRules(locale === 'en' ? 'en-US' : 'vi-VN');
  const t = (key, vars = {}) => String(strings[key] ?? key).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  const tn = (key, n, vars = {}) => t(plural.select(n) === 'one' ? key : key + '_many', { n, ...vars });
  return { t, tn };
}

// "22/11/2026 14:05", always Vietnam time.
export function formatTime(iso) {
  const parts = {};
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  for (const p of fmt.formatToParts(new Date(iso))) { parts[p.type] = p.value; }
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

// The product grid: one button per product or gift set, built once, then only updated and reordered.
export class Tiles {
  constructor(list, items, fmt) {
    this.list = list;
    this.nodes = new Map();
    for (const item of items) { this.nodes.set(item.key, this.build(item, fmt)); }
  }

  build(item, fmt) {
    const initial = (item.name || '?').trim().charAt(0).toUpperCase();
    const picture = item.photo
      ? el('img', { src: item.photo, alt: '', loading: 'lazy', decoding: 'async', width: 160, height: 120 })
      : el('span', { class: 'ph', 'aria-hidden': 'true' }, initial);
    if (item.photo) {
      picture.addEventListener('error', () => picture.replaceWith(el('span', { class: 'ph', 'aria-hidden': 'true' }, initial)));
    }
    const button = el('button', { type: 'button', class: 'reg-tile', 'data-key': item.key },
      picture,
      el('span', { class: 'nm' }, item.name),
      el('span', { class: 'pr' }, fmt(item.price)),
      el('span', { class: 'st' }),
      el('span', { class: 'n', hidden: true }));
    return el('li', {}, button);
  }

  // keys: what to show, in order; info(key) → {stock, inCart, label, price}
  show(keys, info) {
    const wanted = new Set(keys);
    for (const [key, li] of this.nodes) {
      li.hidden = !wanted.has(key);
    }
    for (const key of keys) {
      const li = this.nodes.get(key);
      if (!li) { continue; }
      const { stock, inCart, label, price } = info(key);
      li.querySelector('.pr').textContent = price;
      const st = li.querySelector('.st');
      st.textContent = label;
      st.className = 'st' + (stock <= 0 ? ' out' : stock <= 3 ? ' low' : '');
      const badge = li.querySelector('.n');
      badge.hidden = !inCart;
      badge.textContent = inCart ? String(inCart) : '';
      li.firstChild.dataset.stock = String(stock);
      this.list.append(li);  // moves it: the list takes the order of `keys`
    }
  }
}

// canDiscount: a "Discount" button per line (vendors, not cashiers); a line's discount shows under it.
export function renderLines(list, lines, fmt, t, canDiscount = false) {
  list.replaceChildren(...lines.map((line) => el('li', { class: 'reg-line', 'data-key': line.key },
    el('span', { class: 'nm' }, line.name),
    el('span', { class: 'tt', 'data-amount': line.total }, fmt(line.total)),
    el('span', { class: 'qty' },
      el('button', { type: 'button', class: 'btn-secondary', 'data-act': 'less', 'aria-label': t('less') + ': ' + line.name }, '−'),
      el('input', { type: 'text', inputMode: 'numeric', value: String(line.quantity), 'aria-label': t('quantity') + ': ' + line.name, 'data-act': 'qty' }),
      el('button', { type: 'button', class: 'btn-secondary', 'data-act': 'more', 'aria-label': t('more') + ': ' + line.name }, '+'),
      canDiscount && el('button', { type: 'button', class: 'btn-secondary disc-btn', 'data-act': 'disc', 'aria-label': t('line_discount', { name: line.name }) }, t('discount')),
      el('span', { class: 'each' }, '× ' + fmt(line.price))),
    line.discount > 0 && el('span', { class: 'ld', 'data-amount': line.discount }, t('less_amount', { amount: fmt(line.discount) })))));
}

export function renderStatus(node, { online, pending }, t, tn) {
  node.dataset.online = online ? '1' : '0';
  node.dataset.pending = String(pending);
  if (online) {
    node.textContent = pending ? tn('sending', pending) : t('online');
  } else {
    node.textContent = pending ? tn('offline_waiting', pending) : t('offline');
  }
}

function summary(view) {
  return view.lines.map((l) => `${l.quantity} × ${l.name}`).join(', ');
}

export function renderAttention(list, entries, fmt, t) {
  list.replaceChildren(...entries.map((e) => el('li', { class: 'att-item', 'data-id': e.id, 'data-error': e.error ? e.error.code : '' },
    el('p', {}, el('strong', {}, fmt(e.view.total)), ' · ', formatTime(e.createdAt)),
    el('p', { class: 'small' }, summary(e.view)),
    el('p', { class: 'err', role: 'alert' }, (e.error && e.error.detail) || t('refused')),
    el('div', { class: 'acts' },
      el('button', { type: 'button', 'data-act': 'offline' }, t('sell_anyway')),
      el('button', { type: 'button', class: 'btn-secondary', 'data-act': 'retry' }, t('retry')),
      el('button', { type: 'button', class: 'btn-danger', 'data-act': 'discard' }, t('discard'))))));
}

export function renderReceipt(entry, fmt) {
  const v = entry.view;
  $('#rc-time').textContent = formatTime(entry.createdAt);
  $('#rc-time').dateTime = entry.createdAt;
  $('#rc-lines').replaceChildren(...v.lines.map((l) => el('tr', {},
    el('th', { scope: 'row' }, l.name, el('span', { class: 'q' },
      `${l.quantity} × ${fmt(l.price)}` + (l.discount ? ` − ${fmt(l.discount)}` : ''))),
    el('td', {}, fmt(l.total)))));
  $('#rc-total').textContent = fmt(v.total);
  const rows = [['#rc-subtotal', v.discount ? v.subtotal : 0], ['#rc-discount', v.discount || 0],
    ['#rc-cash', v.cash], ['#rc-change', v.cash ? v.change : 0], ['#rc-vietqr', v.vietqr], ['#rc-card', v.card]];
  for (const [id, amount] of rows) {
    if (!$(id + '-row')) { continue; }  // no card row where cards are off
    $(id + '-row').hidden = !amount;
    $(id).textContent = amount ? (id === '#rc-discount' ? '−' : '') + fmt(amount) : '';
  }
}
