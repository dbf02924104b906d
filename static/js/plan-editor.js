/* Chợ Phiên — the floor plan's small enhancements. Plain JS, no build step; the plan works without it.

   1. Selecting a booth: a.booth-link[data-select-target] (templates/fairs/_plan_svg.html.jinja) loads its link
      into that element with htmx instead of leaving the page (any page that draws a selectable plan).
   2. The organizer's editor (#plan[data-plan-editor] around svg.plan-svg[data-editable]): drag a booth to move
      it, drag its corner handle to resize it — pointer events, so mouse, touch and pen alike — snapping to
      whole grid cells and kept inside the hall. On release the new x/y/width/height go to the server
      (data-geometry-url, with the CSRF header); its answer is the redrawn plan, or (422) the old plan with the
      reason, so the booth snaps back. With the keyboard: focus a booth, arrow keys move it, Shift+arrows
      resize it.
   Text from the server is HTML it rendered and escaped; messages made here go in with textContent. */
(function () {
  'use strict';
  if (window.chophienPlanEditor) { return; }
  window.chophienPlanEditor = true;

  var MOVE_THRESHOLD_PX = 5;
  var drag = null;
  var suppressClickUntil = 0;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || '';
    } catch (e) { return ''; }
  }

  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  function showError(text) {
    var flash = document.getElementById('flash');
    if (!flash) { window.alert(text); return; }
    var div = document.createElement('div');
    div.className = 'alert alert-error';
    div.setAttribute('role', 'alert');
    div.textContent = text;
    flash.textContent = '';
    flash.appendChild(div);
  }

  /* ---------- 1. selecting ---------- */

  function markSelected(boothId) {
    document.querySelectorAll('svg.plan-svg g.booth.is-selected').forEach(function (g) {
      g.classList.remove('is-selected');
    });
    if (boothId) {
      document.querySelectorAll('svg.plan-svg g.booth[data-booth-id="' + boothId + '"]').forEach(function (g) {
        g.classList.add('is-selected');
      });
    }
  }

  function select(link) {
    var targetSelector = link.getAttribute('data-select-target');
    var href = link.getAttribute('href');
    var target = targetSelector && document.querySelector(targetSelector);
    if (!target || !window.htmx || !href) { return false; }
    var g = link.querySelector('g.booth');
    markSelected(g ? g.getAttribute('data-booth-id') : null);
    window.htmx.ajax('GET', href, { target: targetSelector, swap: 'innerHTML' }).then(function () {
      try { window.history.replaceState(null, '', href); } catch (e) { /* ignore */ }
      if (window.matchMedia && window.matchMedia('(max-width: 899px)').matches) {
        target.scrollIntoView({ behavior: 'smooth', block: 'start' });
      }
    });
    return true;
  }

  document.addEventListener('click', function (ev) {
    var link = closest(ev.target, 'a.booth-link');
    if (!link) { return; }
    if (Date.now() < suppressClickUntil) {  // the click that ends a drag selects nothing
      ev.preventDefault();
      ev.stopPropagation();
      return;
    }
    if (link.hasAttribute('data-select-target') && select(link)) { ev.preventDefault(); }
  }, true);

  /* ---------- 2. moving and resizing ---------- */

  function editorOf(node) { return closest(node, '[data-plan-editor]'); }

  function toGrid(svg, ev) {
    var matrix = svg.getScreenCTM();
    if (!matrix) { return { x: 0, y: 0 }; }
    var point = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(matrix.inverse());
    return { x: point.x, y: point.y };
  }

  function geometryOf(g) {
    return {
      x: Number(g.getAttribute('data-x')),
      y: Number(g.getAttribute('data-y')),
      width: Number(g.getAttribute('data-width')),
      height: Number(g.getAttribute('data-height'))
    };
  }

  function clamp(value, low, high) { return Math.max(low, Math.min(high, value)); }

  function overlapsOthers(svg, g, box) {
    var others = svg.querySelectorAll('g.booth[data-x]');
    for (var i = 0; i < others.length; i++) {
      if (others[i] === g) { continue; }
      var o = geometryOf(others[i]);
      if (box.x < o.x + o.width && o.x < box.x + box.width && box.y < o.y + o.height && o.y < box.y + box.height) {
        return true;
      }
    }
    return false;
  }

  /* Draw the booth at `box` without waiting for the server (the server redraws it afterwards). */
  function preview(g, orig, box) {
    g.setAttribute('transform', 'translate(' + (box.x - orig.x) + ' ' + (box.y - orig.y) + ')');
    var rect = g.querySelector('.booth-rect');
    if (rect) {
      rect.setAttribute('width', box.width);
      rect.setAttribute('height', box.height);
    }
    var handle = g.querySelector('.booth-handle');
    if (handle) {
      var size = Number(handle.getAttribute('width'));
      handle.setAttribute('x', orig.x + box.width - size);
      handle.setAttribute('y', orig.y + box.height - size);
    }
    g.querySelectorAll('text').forEach(function (t) { t.setAttribute('x', orig.x + box.width / 2); });
    var cross = g.querySelector('.booth-cross');
    if (cross) { cross.style.display = (box.width === orig.width && box.height === orig.height) ? '' : 'none'; }
    g.classList.toggle('is-invalid', overlapsOthers(g.ownerSVGElement, g, box));
  }

  function snapBack(g, orig) {
    g.removeAttribute('transform');
    preview(g, orig, orig);
    g.removeAttribute('transform');
    g.classList.remove('is-invalid', 'is-dragging', 'is-saving');
  }

  function same(a, b) { return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height; }

  function save(g, orig, box) {
    var editor = editorOf(g);
    var url = editor && editor.getAttribute('data-geometry-url');
    var boothId = g.getAttribute('data-booth-id');
    if (!url || !boothId) { snapBack(g, orig); return; }
    g.classList.add('is-saving');
    var body = new URLSearchParams();
    body.set('x', String(box.x));
    body.set('y', String(box.y));
    body.set('width', String(box.width));
    body.set('height', String(box.height));
    fetch(url.replace('{id}', encodeURIComponent(boothId)), {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-CSRFToken': csrfToken(),
        'HX-Request': 'true',
        'HX-Target': editor.id || 'plan',
        'HX-Current-URL': window.location.href
      },
      body: body.toString()
    }).then(function (res) {
      return res.text().then(function (html) { return { res: res, html: html }; });
    }).then(function (answer) {
      var res = answer.res;
      var retarget = res.headers.get('HX-Retarget');
      if (retarget) {  // an error the app answers as an alert (not found, expired form…)
        snapBack(g, orig);
        var place = document.querySelector(retarget);
        if (place) { place.innerHTML = answer.html; } else { showError(res.statusText); }
        return;
      }
      if (res.ok || res.status === 422) {  // the redrawn plan: moved, or as it was with the reason
        editor.innerHTML = answer.html;
        if (window.htmx) { window.htmx.process(editor); }
        var link = editor.querySelector('g.booth[data-booth-id="' + boothId + '"]');
        link = link && closest(link, 'a.booth-link');
        if (link) { select(link); }  // the booth just moved (or refused) is the one in the panel
        if (!res.ok) {
          var alert = editor.querySelector('.alert-error');
          if (alert) { alert.scrollIntoView({ block: 'nearest' }); }
        }
        return;
      }
      snapBack(g, orig);
      showError(editor.getAttribute('data-error-network') || res.statusText);
    }).catch(function () {
      snapBack(g, orig);
      showError(editor.getAttribute('data-error-network') || 'Network error');
    });
  }

  document.addEventListener('pointerdown', function (ev) {
    if (drag || (ev.pointerType === 'mouse' && ev.button !== 0)) { return; }
    var g = closest(ev.target, 'svg.plan-svg[data-editable] g.booth[data-x]');
    if (!g || !editorOf(g)) { return; }
    var svg = g.ownerSVGElement;
    drag = {
      g: g,
      svg: svg,
      pointerId: ev.pointerId,
      mode: ev.target.classList.contains('booth-handle') ? 'resize' : 'move',
      startX: ev.clientX,
      startY: ev.clientY,
      start: toGrid(svg, ev),
      orig: geometryOf(g),
      box: geometryOf(g),
      columns: Number(svg.getAttribute('data-columns')),
      rows: Number(svg.getAttribute('data-rows')),
      moved: false
    };
    ev.preventDefault();  // no text selection, no native drag of the link
  });

  document.addEventListener('pointermove', function (ev) {
    if (!drag || ev.pointerId !== drag.pointerId) { return; }
    if (!drag.moved) {
      if (Math.abs(ev.clientX - drag.startX) < MOVE_THRESHOLD_PX && Math.abs(ev.clientY - drag.startY) < MOVE_THRESHOLD_PX) {
        return;
      }
      drag.moved = true;
      drag.g.classList.add('is-dragging');
      try { drag.g.setPointerCapture(ev.pointerId); } catch (e) { /* the document still gets the events */ }
    }
    ev.preventDefault();
    var p = toGrid(drag.svg, ev);
    var dx = Math.round(p.x - drag.start.x);
    var dy = Math.round(p.y - drag.start.y);
    var o = drag.orig;
    var box;
    if (drag.mode === 'resize') {
      box = {
        x: o.x, y: o.y,
        width: clamp(o.width + dx, 1, Math.max(1, drag.columns - o.x)),
        height: clamp(o.height + dy, 1, Math.max(1, drag.rows - o.y))
      };
    } else {
      box = {
        x: clamp(o.x + dx, 0, Math.max(0, drag.columns - o.width)),
        y: clamp(o.y + dy, 0, Math.max(0, drag.rows - o.height)),
        width: o.width, height: o.height
      };
    }
    if (!same(box, drag.box)) {
      drag.box = box;
      preview(drag.g, o, box);
    }
  });

  function finish(ev, cancelled) {
    if (!drag || ev.pointerId !== drag.pointerId) { return; }
    var d = drag;
    drag = null;
    try { d.g.releasePointerCapture(ev.pointerId); } catch (e) { /* not captured */ }
    if (!d.moved) { return; }  // a tap: the click that follows selects the booth
    suppressClickUntil = Date.now() + 500;
    d.g.classList.remove('is-dragging');
    if (cancelled || same(d.box, d.orig)) { snapBack(d.g, d.orig); return; }
    save(d.g, d.orig, d.box);
  }

  document.addEventListener('pointerup', function (ev) { finish(ev, false); });
  document.addEventListener('pointercancel', function (ev) { finish(ev, true); });

  /* Keyboard: arrows move the focused booth one cell, Shift+arrows resize it. */
  var KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  document.addEventListener('keydown', function (ev) {
    var step = KEYS[ev.key];
    if (!step || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var link = closest(ev.target, 'svg.plan-svg[data-editable] a.booth-link');
    var g = link && link.querySelector('g.booth[data-x]');
    if (!g || !editorOf(g)) { return; }
    ev.preventDefault();
    var svg = g.ownerSVGElement;
    var o = geometryOf(g);
    var box = ev.shiftKey
      ? { x: o.x, y: o.y, width: Math.max(1, o.width + step[0]), height: Math.max(1, o.height + step[1]) }
      : { x: Math.max(0, o.x + step[0]), y: Math.max(0, o.y + step[1]), width: o.width, height: o.height };
    if (box.x + box.width > Number(svg.getAttribute('data-columns')) ||
        box.y + box.height > Number(svg.getAttribute('data-rows')) || same(box, o)) { return; }
    preview(g, o, box);
    save(g, o, box);
  });

  /* After the plan is redrawn by a keyboard move, keep the focus on the same booth. */
  document.addEventListener('htmx:afterSettle', function () {
    var selected = document.querySelector('svg.plan-svg g.booth.is-selected');
    var link = selected && closest(selected, 'a.booth-link');
    if (link && document.activeElement === document.body && link.focus) { link.focus({ preventScroll: true }); }
  });
})();
