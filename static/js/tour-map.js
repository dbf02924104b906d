/* Chợ Phiên — the tourist's map (/tours/{route}, /explore). Plain JS, no build step; needs Leaflet,
   Leaflet.markercluster and map-layer.js (all vendored or ours, under /static/).

   app/tours/maps.py renders a folium map whose script calls
     ChoPhienTour.placesLayer(map, clusterGroup, options)
   Options (PlacesLayerOptions.for_js): url, query, filterSource, status, list, labels, fit, route.
   This file loads /api/v1/places.geojson for the page's filters into the cluster group (markers coloured by
   the best OCOP stars in stock), draws the route's line and numbered stops, keeps the list beside the map in
   step (a list item's "on the map" button opens the marker's popup; a marker's click marks its list item),
   handles "near me" and "share", and removes the map when htmx removes its element.

   Every text shown comes from the server as plain text and goes on screen with textContent — never as HTML.
*/
(function () {
  'use strict';

  var live = [];  // every places layer still on the page

  function debounce(fn, ms) {
    var timer = null;
    var wrapped = function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
    wrapped.cancel = function () { clearTimeout(timer); };
    return wrapped;
  }

  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }
  function bboxOf(bounds) {
    var sw = bounds.getSouthWest();
    var ne = bounds.getNorthEast();
    return [
      clamp(Math.floor(sw.lng * 1e4) / 1e4, -180, 180), clamp(Math.floor(sw.lat * 1e4) / 1e4, -90, 90),
      clamp(Math.ceil(ne.lng * 1e4) / 1e4, -180, 180), clamp(Math.ceil(ne.lat * 1e4) / 1e4, -90, 90)
    ].map(function (n) { return n.toFixed(4); }).join(',');
  }

  function safeHref(raw) {
    if (typeof raw !== 'string' || !raw) { return null; }
    try {
      var url = new URL(raw, window.location.href);
      return (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
    } catch (e) { return null; }
  }

  function text(tag, className, value) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = String(value == null ? '' : value);
    return el;
  }

  function stars(n) {
    n = Number(n);
    return n >= 1 && n <= 5 ? n + '★' : '';
  }

  function fill(template, values) {
    return String(template || '').replace(/\{(\w+)\}/g, function (all, key) {
      return values[key] == null ? '' : String(values[key]);
    });
  }

  /* ---- a place's popup ---- */
  function popupContent(props, labels) {
    var box = document.createElement('div');
    box.className = 'map-popup tour-popup';
    var href = safeHref(props.url);
    var title = text(href ? 'a' : 'strong', 'map-popup-title', props.name);
    if (href) { title.href = href; }
    box.appendChild(title);
    var meta = [props.kind_label, stars(props.stars), props.group_name, props.province].filter(Boolean);
    if (meta.length) { box.appendChild(text('p', 'small muted', meta.join(' · '))); }
    if (props.off_km != null) {
      box.appendChild(text('p', 'tour-along', fill(labels.along, { off: formatKm(props.off_km), at: formatKm(props.at_km) })));
    }
    if (props.distance_km != null) {
      box.appendChild(text('p', 'tour-distance', fill(labels.distance, { km: formatKm(props.distance_km) })));
    }
    if (props.open_now === true) { box.appendChild(text('p', 'tour-open', labels.open || '')); }
    if (props.open_now === false) { box.appendChild(text('p', 'tour-closed', labels.closed || '')); }
    if (Array.isArray(props.products)) {
      if (props.products.length) {
        box.appendChild(text('p', 'tour-stock-title', labels.stock || ''));
        var list = document.createElement('ul');
        list.className = 'tour-stock';
        props.products.forEach(function (p) {
          var line = [p && p.name, stars(p && p.stars), fill(labels.onHand, { n: p && p.on_hand })].filter(Boolean);
          list.appendChild(text('li', '', line.join(' · ')));
        });
        box.appendChild(list);
      } else {
        box.appendChild(text('p', 'small muted', labels.noStock || ''));
      }
    }
    return box;
  }

  function formatKm(value) {
    var n = Number(value);
    if (!isFinite(n)) { return ''; }
    var lang = document.documentElement.lang || 'vi';
    return n.toLocaleString(lang, { maximumFractionDigits: 1 });
  }

  function pinClass(props) {
    var s = Number(props.stars);
    var level = (s >= 3 && s <= 5) ? 's' + s : 'none';
    var kind = String(props.kind || '').replace(/[^a-z_]/g, '');
    return 'tour-pin tour-pin--' + level + ' tour-pin--' + kind;
  }

  function markerFor(feature, labels) {
    var geometry = feature && feature.geometry;
    if (!geometry || geometry.type !== 'Point' || !Array.isArray(geometry.coordinates)) { return null; }
    var lon = Number(geometry.coordinates[0]);
    var lat = Number(geometry.coordinates[1]);
    if (!isFinite(lon) || !isFinite(lat)) { return null; }
    var props = feature.properties || {};
    var name = String(props.name == null ? '' : props.name);
    var icon = L.divIcon({ className: pinClass(props), html: '', iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] });
    // title and alt are set as DOM properties by Leaflet: text, not HTML.
    var marker = L.marker([lat, lon], { icon: icon, title: name, alt: name, keyboard: true });
    marker.bindPopup(function () { return popupContent(props, labels); }, { maxWidth: 300 });
    marker.placeId = String(props.id);
    return marker;
  }

  /* ---- the route: its line and numbered stops ---- */
  function drawRoute(map, route, labels) {
    if (!route) { return null; }
    var group = L.layerGroup();
    if (Array.isArray(route.line) && route.line.length > 1) {
      L.polyline(route.line, { className: 'tour-route-line', weight: 5, opacity: 0.8 }).addTo(group);
    }
    (route.stops || []).forEach(function (stop) {
      var lat = Number(stop.lat);
      var lon = Number(stop.lon);
      if (!isFinite(lat) || !isFinite(lon)) { return; }
      var n = String(parseInt(stop.n, 10) || '');
      var name = String(stop.name == null ? '' : stop.name);
      var icon = L.divIcon({ className: 'tour-stop-pin', html: n, iconSize: [30, 30], iconAnchor: [15, 15] });
      var marker = L.marker([lat, lon], { icon: icon, title: n + '. ' + name, alt: n + '. ' + name, zIndexOffset: 1000 });
      marker.bindPopup(function () {
        var box = document.createElement('div');
        box.className = 'map-popup';
        var href = safeHref(stop.url);
        var title = text(href ? 'a' : 'strong', 'map-popup-title', fill(labels.stop, { n: n, name: name }));
        if (href) { title.href = href; }
        box.appendChild(title);
        return box;
      });
      marker.addTo(group);
    });
    group.addTo(map);
    return group;
  }

  /* ---- a places layer ---- */
  function Layer(map, cluster, options) {
    this.map = map;
    this.cluster = cluster;
    this.url = options.url;
    this.query = options.query || '';
    this.filterSource = options.filterSource || '';
    this.statusSelector = options.status || '';
    this.listSelector = options.list || '';
    this.labels = options.labels || {};
    this.fit = options.fit !== false;
    this.byId = {};
    this.loaded = null;
    this.truncated = false;
    this.request = null;
    this.removed = false;
    this.routeLayer = drawRoute(map, options.route, this.labels);
    var source = this.filterSource && document.querySelector(this.filterSource);
    if (source) { this.query = source.getAttribute('data-query') || ''; }
    var self = this;
    this.onMove = debounce(function () { self.load(false); }, 300);
    map.on('moveend', this.onMove);
  }

  Layer.prototype.status = function (value) {
    var el = this.statusSelector && document.querySelector(this.statusSelector);
    if (el) { el.textContent = value || ''; }
  };

  Layer.prototype.load = function (fit) {
    if (this.removed) { return; }
    var params = new URLSearchParams(this.query);
    params.delete('page');
    params.delete('near');
    var area = null;
    if (!fit) {
      if (this.loaded === 'all' && !this.truncated) { return; }
      if (this.loaded && this.loaded !== 'all' && !this.truncated && this.loaded.contains(this.map.getBounds())) { return; }
      area = this.map.getBounds().pad(0.25);
      params.set('bbox', bboxOf(area));
    }
    if (this.request) { this.request.abort(); }
    var request = this.request = new AbortController();
    var self = this;
    var query = params.toString();
    var url = query ? this.url + '?' + query : this.url;
    this.map.getContainer().setAttribute('aria-busy', 'true');
    fetch(url, { headers: { Accept: 'application/geo+json' }, credentials: 'same-origin', signal: request.signal })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      }).then(function (data) {
        if (self.removed || request.signal.aborted) { return; }
        self.loaded = area || 'all';
        self.truncated = Boolean(data && data.truncated);
        self.show(data && Array.isArray(data.features) ? data.features : [], fit && self.fit);
      }).catch(function (err) {
        if (err && err.name === 'AbortError') { return; }
        if (!self.removed) { self.status(self.labels.error || ''); }
      }).then(function () {
        if (self.request === request) {
          self.request = null;
          if (!self.removed) { self.map.getContainer().removeAttribute('aria-busy'); }
        }
      });
  };

  Layer.prototype.show = function (features, fit) {
    var labels = this.labels;
    var self = this;
    var markers = [];
    this.byId = {};
    features.forEach(function (feature) {
      var marker = markerFor(feature, labels);
      if (!marker) { return; }
      marker.on('click', function () { self.highlight(marker.placeId, true); });
      self.byId[marker.placeId] = marker;
      markers.push(marker);
    });
    this.cluster.clearLayers();
    this.cluster.addLayers(markers);
    var message = markers.length ? fill(labels.count || '{n}', { n: markers.length }) : (labels.empty || '');
    if (this.truncated && labels.truncated) { message += ' ' + labels.truncated; }
    this.status(message);
    if (fit) {
      var points = markers.map(function (m) { return m.getLatLng(); });
      if (this.routeLayer) {
        this.routeLayer.eachLayer(function (layer) {
          if (layer.getLatLng) { points.push(layer.getLatLng()); }
          if (layer.getBounds) { points.push(layer.getBounds().getSouthWest(), layer.getBounds().getNorthEast()); }
        });
      }
      if (points.length) { this.map.fitBounds(L.latLngBounds(points), { padding: [32, 32], maxZoom: 13, animate: false }); }
    }
    // A list item clicked while these markers were loading opens now that its marker exists.
    if (this.pendingOpen) {
      var pending = this.pendingOpen;
      this.pendingOpen = null;
      this.open(pending);
    }
  };

  Layer.prototype.list = function () {
    return this.listSelector ? document.querySelector(this.listSelector) : null;
  };

  // Mark a place's list item (after a click on its marker) and bring it into view.
  Layer.prototype.highlight = function (placeId, scroll) {
    var list = this.list();
    if (!list) { return; }
    var items = list.querySelectorAll('[data-place-id]');
    var found = null;
    for (var i = 0; i < items.length; i++) {
      var on = items[i].getAttribute('data-place-id') === placeId;
      items[i].classList.toggle('is-active', on);
      if (on) { found = items[i]; }
    }
    if (found && scroll && found.scrollIntoView) { found.scrollIntoView({ block: 'nearest', behavior: 'smooth' }); }
  };

  // Open a place's popup (after a click on its list item), unclustering it first.
  Layer.prototype.open = function (placeId) {
    if (this.request) {  // the markers are being replaced: open it once they are in
      this.pendingOpen = placeId;
      this.highlight(placeId, false);
      return true;
    }
    var marker = this.byId[placeId];
    if (!marker) { return false; }
    var self = this;
    this.cluster.zoomToShowLayer(marker, function () { marker.openPopup(); });
    this.highlight(placeId, false);
    var container = self.map.getContainer();
    if (container.scrollIntoView && container.getBoundingClientRect().top < 0) { container.scrollIntoView({ block: 'start' }); }
    return true;
  };

  Layer.prototype.filtersChanged = function () {
    var source = this.filterSource && document.querySelector(this.filterSource);
    if (!source) { return; }
    var query = source.getAttribute('data-query') || '';
    if (query === this.query) { return; }
    this.query = query;
    this.loaded = null;
    this.load(true);
  };

  Layer.prototype.destroy = function () {
    this.removed = true;
    this.onMove.cancel();
    if (this.request) { this.request.abort(); }
    var index = live.indexOf(this);
    if (index >= 0) { live.splice(index, 1); }
  };

  function removeMap(container) {
    var mine = live.filter(function (layer) { return layer.map.getContainer() === container; });
    if (!mine.length) { return; }
    mine.forEach(function (layer) { layer.destroy(); });
    if (window.ChoPhienMap) { window.ChoPhienMap.remove(container); }
    try { mine[0].map.remove(); } catch (e) { /* already removed by map-layer.js */ }
  }

  function placesLayer(map, cluster, options) {
    var layer = new Layer(map, cluster, options || {});
    live.push(layer);
    layer.load(true);
    return layer;
  }

  /* ---- page wiring (delegated: the list is swapped by htmx) ---- */
  document.addEventListener('click', function (ev) {
    var target = ev.target && ev.target.closest ? ev.target : null;
    if (!target) { return; }
    var show = target.closest('[data-show-on-map]');
    if (show) {
      var id = show.getAttribute('data-show-on-map');
      for (var i = 0; i < live.length; i++) {
        if (live[i].open(id)) { ev.preventDefault(); return; }
      }
      return;
    }
    var share = target.closest('[data-share]');
    if (share && navigator.share) {
      ev.preventDefault();
      navigator.share({ title: document.title, url: share.href || window.location.href }).catch(function () {});
      return;
    }
    var near = target.closest('[data-near-me]');
    if (near) {
      ev.preventDefault();
      nearMe(near);
    }
  });

  function nearMe(button) {
    var form = document.querySelector(button.getAttribute('data-near-me'));
    var status = document.querySelector(button.getAttribute('data-status') || '');
    function say(message) { if (status) { status.textContent = message || ''; } }
    if (!form || !navigator.geolocation) { say(button.getAttribute('data-unavailable')); return; }
    say(button.getAttribute('data-locating'));
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude;
      var lon = pos.coords.longitude;
      var input = form.querySelector('input[name="near"]');
      if (input) { input.value = lat.toFixed(5) + ',' + lon.toFixed(5); }
      say('');
      live.forEach(function (layer) {
        layer.map.setView([lat, lon], 12);
        if (layer.here) { layer.here.remove(); }
        layer.here = L.circleMarker([lat, lon], { radius: 8, className: 'tour-here' }).addTo(layer.map);
      });
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }, function () {
      say(button.getAttribute('data-denied'));
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  }

  document.addEventListener('htmx:beforeCleanupElement', function (ev) {
    var el = ev.detail && ev.detail.elt ? ev.detail.elt : ev.target;
    if (el && el.classList && el.classList.contains('leaflet-container')) { removeMap(el); }
  });

  document.addEventListener('htmx:afterSettle', function () {
    live.slice().forEach(function (layer) {
      var container = layer.map.getContainer();
      if (!document.body.contains(container)) { removeMap(container); return; }
      layer.filtersChanged();
    });
  });

  window.ChoPhienTour = {
    placesLayer: placesLayer,
    remove: removeMap,
    count: function () {
      var seen = [];
      live.forEach(function (layer) { if (seen.indexOf(layer.map) < 0) { seen.push(layer.map); } });
      return seen.length;
    }
  };
})();
