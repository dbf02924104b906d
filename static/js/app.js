/* Chợ Phiên — small progressive enhancements. Plain JS, no build step.
   Pages must work without this file; htmx is optional here. */
(function () {
  'use strict';

  /* Polite live region so screen readers hear "copied" etc. */
  var live;
  function announce(text) {
    if (!live) {
      live = document.createElement('div');
      live.className = 'sr-only';
      live.setAttribute('aria-live', 'polite');
      document.body.appendChild(live);
    }
    live.textContent = '';
    setTimeout(function () { live.textContent = text; }, 50);
  }

  /* ---- Share: button[data-share-url] [data-share-title] [data-copied-label] ---- */
  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {  // https only
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }
  function legacyCopy(text) {  // old browsers / plain http
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.cssText = 'position:fixed;top:0;opacity:0';
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { /* unsupported */ }
    document.body.removeChild(ta);
    return ok ? Promise.resolve() : Promise.reject(new Error('copy failed'));
  }

  function copied(btn) {
    var label = btn.dataset.copiedLabel;
    if (!label) { return; }
    if (btn.dataset.originalLabel === undefined) { btn.dataset.originalLabel = btn.textContent; }
    btn.textContent = label;
    announce(label);
    clearTimeout(btn._shareTimer);
    btn._shareTimer = setTimeout(function () {
      btn.textContent = btn.dataset.originalLabel;
      delete btn.dataset.originalLabel;
    }, 2000);
  }

  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('button[data-share-url]');
    if (!btn) { return; }
    ev.preventDefault();  // in case it sits inside a form
    var url = new URL(btn.dataset.shareUrl, document.baseURI).href;
    var title = btn.dataset.shareTitle || document.title;
    var fallback = function () { copyText(url).then(function () { copied(btn); }, function () {}); };
    if (!navigator.share) { fallback(); return; }
    navigator.share({ title: title, url: url }).catch(function (err) {
      if (!err || err.name !== 'AbortError') { fallback(); }  // user cancel: do nothing
    });
  });

  /* ---- Confirm plain forms: form[data-confirm] (htmx forms: use hx-confirm) ----
     Capture phase so a "no" also stops htmx/boosted handlers on the form. */
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm')) { return; }
    if (!window.confirm(form.dataset.confirm)) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }, true);

  /* ---- The phone's menu: button.nav-toggle unfolds the nav it controls (app.css folds it) ---- */
  document.addEventListener('click', function (ev) {
    var toggle = ev.target.closest && ev.target.closest('.nav-toggle');
    if (!toggle) { return; }
    var nav = document.getElementById(toggle.getAttribute('aria-controls'));
    var open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    if (nav) { nav.classList.toggle('is-open', open); }
  });
  // The unread-messages count lives in the folded menu: show a copy of it on the button too.
  document.addEventListener('htmx:afterSettle', function (ev) {
    var target = ev.detail && ev.detail.elt;
    var toggle = document.querySelector('.nav-toggle');
    if (!toggle || !target || !target.closest || !target.closest('#site-nav') || !target.querySelector) { return; }
    var count = target.querySelector('.nav-count');
    var shown = toggle.querySelector('.nav-count');
    if (shown) { shown.remove(); }
    if (count) { toggle.appendChild(count.cloneNode(true)); }
  });
  document.addEventListener('keydown', function (ev) {
    var toggle = document.querySelector('.nav-toggle[aria-expanded="true"]');
    if (ev.key !== 'Escape' || !toggle) { return; }
    toggle.setAttribute('aria-expanded', 'false');
    var nav = document.getElementById(toggle.getAttribute('aria-controls'));
    if (nav) { nav.classList.remove('is-open'); }
    toggle.focus();
  });

  /* ---- Log out, log in: form[data-forget-offline] ----
     The register's pages and stock kept for offline use (static/js/register/sw.js, cache PAGES) were
     fetched as whoever was logged in, and the page names them as the cashier of every sale rung up on it:
     drop them before the session ends, so nobody opens them on this phone afterwards, and when someone
     logs in (the last person may not have logged out). Sales waiting to be sent stay (IndexedDB): they go
     out at the next log-in, still in the name of whoever rang them up — but not before, so logging out
     with some waiting asks first ([data-waiting-message], "{n}" the count). A log-in form posted by htmx
     goes on at once (the cache is gone long before the register is next opened). */

  // How many sales the register's outbox (static/js/register/store.js) still holds on this phone.
  function waitingSales() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(0); return; }
      var req = window.indexedDB.open('chophien-register');
      // No register ever ran here: make no empty database (the register would find it without its stores).
      req.onupgradeneeded = function () { req.transaction.abort(); };
      req.onerror = function () { resolve(0); };
      req.onblocked = function () { resolve(0); };
      req.onsuccess = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains('outbox')) { db.close(); resolve(0); return; }
        var counted = db.transaction('outbox').objectStore('outbox').count();
        counted.onsuccess = function () { db.close(); resolve(counted.result); };
        counted.onerror = function () { db.close(); resolve(0); };
      };
    });
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-forget-offline')) { return; }
    if (!window.caches || form.dataset.forgotten) { return; }
    if (form.hasAttribute('hx-post')) {
      window.caches.delete('register-pages-v1').catch(function () { return false; });
      return;
    }
    ev.preventDefault();
    form.dataset.forgotten = '1';
    waitingSales().then(function (count) {
      var message = form.getAttribute('data-waiting-message');
      if (count > 0 && message && !window.confirm(message.replace('{n}', String(count)))) {
        delete form.dataset.forgotten;
        return;
      }
      return window.caches.delete('register-pages-v1')
        .catch(function () { return false; })
        .then(function () { form.submit(); });
    });
  }, true);

  /* ---- Province -> ward picker: select[data-ward-select="<target id>"] ---- */
  function fillWards(provinceSelect, keepValue) {
    var target = document.getElementById(provinceSelect.dataset.wardSelect);
    if (!target) { return; }
    var code = provinceSelect.value;
    var wanted = keepValue ? (target.value || target.dataset.selected || '') : '';
    if (target._wardAbort) { target._wardAbort.abort(); }
    var reset = function () { target.options.length = 0; target.add(new Option(target.dataset.emptyLabel || '', '')); };
    reset();
    var changed = function () { target.dispatchEvent(new Event('change', { bubbles: true })); };
    if (!code) { changed(); return; }
    var ctrl = target._wardAbort = new AbortController();
    target.disabled = true;
    target.setAttribute('aria-busy', 'true');
    fetch('/api/v1/wards?province=' + encodeURIComponent(code), {
      headers: { Accept: 'application/json' }, credentials: 'same-origin', signal: ctrl.signal
    }).then(function (r) {
      if (!r.ok) { throw new Error('HTTP ' + r.status); }
      return r.json();
    }).then(function (wards) {
      reset();
      wards.forEach(function (w) {
        var opt = new Option(w.name, String(w.code));
        if (String(w.code) === String(wanted)) { opt.selected = true; }
        target.add(opt);
      });
      changed();
    }).catch(function (err) {
      if (err.name !== 'AbortError') { reset(); }
    }).finally(function () {
      if (target._wardAbort === ctrl) {
        target._wardAbort = null;
        target.disabled = false;
        target.removeAttribute('aria-busy');
      }
    });
  }

  document.addEventListener('change', function (ev) {
    if (ev.target.matches && ev.target.matches('select[data-ward-select]')) { fillWards(ev.target, false); }
  });

  /* On load / htmx swap: fill ward lists the server left empty (e.g. after Back). */
  function init(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var sels = Array.from(scope.querySelectorAll('select[data-ward-select]'));
    if (scope.matches && scope.matches('select[data-ward-select]')) { sels.push(scope); }
    sels.forEach(function (sel) {
      var target = document.getElementById(sel.dataset.wardSelect);
      if (sel.value && target && target.options.length <= 1 && !target._wardAbort) { fillWards(sel, true); }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else { init(document); }
  document.addEventListener('htmx:load', function (ev) { init(ev.target); });
})();
