/* The shopper's pay page: the card is set up with a SetupIntent (Stripe.js confirmCardSetup), the server
   charges it, and 3-D Secure is finished with confirmCardPayment when the bank asks. Whether the money
   arrived is Stripe's webhook's to say: the page then follows the payment's status (server-sent events,
   with a status poll as a fallback) and shows the result. Works with Stripe.js and localstripe's stand-in. */
(function () {
  'use strict';
  var root = document.getElementById('pay');
  var form = document.getElementById('pay-form');
  if (!root || !form || typeof Stripe === 'undefined') { return; }
  var data = root.dataset;
  var stripe = Stripe(data.key);
  var card = stripe.elements().create('card', { hidePostalCode: true });
  card.mount('#card-element');
  var button = document.getElementById('pay-button');
  var status = document.getElementById('pay-status');
  var watching = false;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || '';
    } catch (e) { return ''; }
  }

  function say(text, isError) {
    status.textContent = text || '';
    status.classList.toggle('is-error', Boolean(isError));
  }

  function busy(on) {
    button.disabled = on;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  function fail(message) {
    busy(false);
    say(message || data.msgError, true);
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) { throw new Error(json.detail || data.msgError); }
        return json;
      });
    }, function () { throw new Error(data.msgOffline); });
  }

  function settle(state) {
    if (!state) { return; }
    if (state.status === 'succeeded' || state.status === 'refunded' || state.status === 'partly_refunded' ||
        state.status === 'cancelled' || state.open === false) {
      window.location.reload();
    } else if (state.status === 'failed') {
      watching = false;
      fail(state.message);
    }
  }

  function poll() {
    if (!watching) { return; }
    fetch(data.statusUrl, { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(settle, function () { /* offline for a moment: the next poll tries again */ })
      .finally(function () { if (watching) { window.setTimeout(poll, 2000); } });
  }

  function watch() {
    watching = true;
    say(data.msgConfirming);
    if (window.EventSource) {
      var events = new EventSource(data.eventsUrl);
      events.addEventListener('payment', function (e) {
        try { settle(JSON.parse(e.data)); } catch (err) { /* a malformed message: the poll still runs */ }
      });
    }
    window.setTimeout(poll, 1500);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    busy(true);
    say(data.msgWorking);
    var previous = document.getElementById('pay-previous');
    if (previous) { previous.remove(); }
    post(data.setupUrl).then(function (setup) {
      return stripe.confirmCardSetup(setup.client_secret, { payment_method: { card: card } });
    }).then(function (result) {
      if (result.error) { throw new Error(result.error.message); }
      return post(data.chargeUrl, { setup_intent: result.setupIntent.id });
    }).then(function (charge) {
      if (charge.status === 'declined') { throw new Error(charge.message); }
      if (charge.status === 'requires_action') {
        return stripe.confirmCardPayment(charge.client_secret).then(function (result) {
          if (result.error) { throw new Error(result.error.message); }
        });
      }
      return null;
    }).then(watch, function (err) { fail(err && err.message); });
  });
}());
