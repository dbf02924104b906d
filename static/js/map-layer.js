/* Chợ Phiên — map layers. Plain JS, no build step; needs Leaflet and Leaflet.markercluster (vendored).

   app/tours/maps.py renders a folium map whose script calls
     ChoPhienMap.geojsonLayer(map, clusterGroup, options)
   and this file does the rest: it loads the layer's GeoJSON for the page's filters (and, once the map has
   moved, for the visible area), fills the cluster group, keeps the layer in step with the filters when htmx
   swaps the list, and removes the map when htmx removes its element, so nothing leaks.

   Options (from LayerOptions.for_js): url, query, filterSource, status, popupFields, labels, fit.

   Everything shown comes from the server as plain text and goes on screen with textContent — never as HTML.
*/
(function () {
  'use strict';

  var states = new WeakMap();  // a map's container element → { map, layers }
  var live = [];               // every layer of a map still on the page

  function debounce(fn, ms) {
    var timer = null;
    var wrapped = function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
    wrapped.cancel = function () { clearTimeout(timer); };
    return wrapped;
  }

  /* ---- the visible area as bbox=west,south,east,north (rounded outwards, clamped to the globe) ---- */
  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }
  function down(value) { return Math.floor(value * 1e4) / 1e4; }
  function up(value) { return Math.ceil(value * 1e4) / 1e4; }
  function bboxOf(bounds) {
    var sw = bounds.getSouthWest();
    var ne = bounds.getNorthEast();
    return [
      clamp(down(sw.lng), -180, 180), clamp(down(sw.lat), -90, 90),
      clamp(up(ne.lng), -180, 180), clamp(up(ne.lat), -90, 90)
    ].map(function (n) { return n.toFixed(4); }).join(',');
  }
  var WORLD = null;
  function world() {
    WORLD = WORLD || L.latLngBounds([-90, -180], [90, 180]);
    return WORLD;
  }

  /* ---- popups: DOM nodes filled with textContent ---- */
  function safeHref(raw) {
    if (typeof raw !== 'string' || !raw) { return null; }
    try {
      var url = new URL(raw, window.location.href);
      return (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function popupContent(props, fields) {
    var box = document.createElement('div');
    box.className = 'map-popup';
    var href = safeHref(props.url);
    var title = document.createElement(href ? 'a' : 'strong');
    title.className = 'map-popup-title';
    title.textContent = String(props.name == null ? '' : props.name);
    if (href) { title.href = href; }
    box.appendChild(title);
    fields.forEach(function (field) {
      var value = props[field];
      if (value === null || value === undefined || value === '') { return; }
      var line = document.createElement('p');
      line.className = 'map-popup-' + field.replace(/[^a-z0-9_-]/gi, '');
      line.textContent = String(value);
      box.appendChild(line);
    });
    return box;
  }

  function markerFor(feature, fields) {
    var geometry = feature && feature.geometry;
    if (!geometry || geometry.type !== 'Point' || !Array.isArray(geometry.coordinates)) { return null; }
    var lon = Number(geometry.coordinates[0]);
    var lat = Number(geometry.coordinates[1]);
    if (!isFinite(lon) || !isFinite(lat)) { return null; }
    var props = feature.properties || {};
    var name = String(props.name == null ? '' : props.name);
    // title and alt are set as DOM properties by Leaflet: text, not HTML.
    var marker = L.marker([lat, lon], { title: name, alt: name, keyboard: true });
    marker.bindPopup(function () { return popupContent(props, fields); }, { maxWidth: 280 });
    marker.feature = feature;
    return marker;
  }

  /* ---- a layer ---- */
  function Layer(map, cluster, options) {
    this.map = map;
    this.cluster = cluster;
    this.url = options.url;
    this.query = options.query || '';
    this.filterSource = options.filterSource || '';
    this.statusSelector = options.status || '';
    this.fields = Array.isArray(options.popupFields) ? options.popupFields : [];
    this.labels = options.labels || {};
    this.fit = options.fit !== false;
    this.loaded = null;       // the area the features on the map were loaded for
    this.truncated = false;   // the server cut the list: moving the map must ask again
    this.request = null;
    this.removed = false;
    var source = this.filterSource && document.querySelector(this.filterSource);
    if (source) { this.query = source.getAttribute('data-query') || ''; }
    var self = this;
    this.onMove = debounce(function () { self.load(false); }, 300);
    map.on('moveend', this.onMove);
  }

  Layer.prototype.status = function (text) {
    var el = this.statusSelector && document.querySelector(this.statusSelector);
    if (el) { el.textContent = text || ''; }
  };

  Layer.prototype.load = function (fit) {
    if (this.removed) { return; }
    var params = new URLSearchParams(this.query);
    params.delete('page');
    var area = world();
    if (!fit) {
      if (this.loaded && !this.truncated && this.loaded.contains(this.map.getBounds())) { return; }
      area = this.map.getBounds().pad(0.25);
      params.set('bbox', bboxOf(area));
    }
    if (this.request) { this.request.abort(); }
    var request = this.request = new AbortController();
    var self = this;
    var query = params.toString();
    var url = query ? this.url + (this.url.indexOf('?') < 0 ? '?' : '&') + query : this.url;
    this.map.getContainer().setAttribute('aria-busy', 'true');
    fetch(url, {
      headers: { Accept: 'application/geo+json' },
      credentials: 'same-origin',
      signal: request.signal
    }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    }).then(function (data) {
      if (self.removed || request.signal.aborted) { return; }
      self.loaded = area;
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
    var fields = this.fields;
    var markers = [];
    features.forEach(function (feature) {
      var marker = markerFor(feature, fields);
      if (marker) { markers.push(marker); }
    });
    this.cluster.clearLayers();
    this.cluster.addLayers(markers);
    var text = markers.length
      ? (this.labels.count || '{n}').replace('{n}', String(markers.length))
      : (this.labels.empty || '');
    if (this.truncated && this.labels.truncated) { text += ' ' + this.labels.truncated; }
    this.status(text);
    if (fit && markers.length) {
      var bounds = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); }));
      this.map.fitBounds(bounds, { padding: [32, 32], maxZoom: 12 });
    }
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

  /* ---- maps ---- */
  function stateOf(map) {
    var container = map.getContainer();
    var state = states.get(container);
    if (!state) {
      state = { map: map, layers: [] };
      states.set(container, state);
    }
    return state;
  }

  function removeMap(container) {
    var state = states.get(container);
    if (!state) { return; }
    states.delete(container);
    state.layers.forEach(function (layer) { layer.destroy(); });
    state.map.remove();
  }

  function geojsonLayer(map, cluster, options) {
    var layer = new Layer(map, cluster, options || {});
    stateOf(map).layers.push(layer);
    live.push(layer);
    layer.load(true);
    return layer;
  }

  // htmx removes an element: take down any map in it (the event fires for each element of the subtree).
  document.addEventListener('htmx:beforeCleanupElement', function (ev) {
    var el = ev.detail && ev.detail.elt ? ev.detail.elt : ev.target;
    if (el && states.has(el)) { removeMap(el); }
  });

  // htmx swapped something in: a layer whose filters changed loads again. A map whose element left the
  // page some other way is removed here.
  document.addEventListener('htmx:afterSettle', function () {
    live.slice().forEach(function (layer) {
      var container = layer.map.getContainer();
      if (!document.body.contains(container)) {
        removeMap(container);
        return;
      }
      layer.filtersChanged();
    });
  });

  window.ChoPhienMap = {
    geojsonLayer: geojsonLayer,
    remove: removeMap,
    // The maps alive on the page (tests check that swapping pages leaks none).
    maps: function () {
      var seen = [];
      live.forEach(function (layer) {
        if (seen.indexOf(layer.map) < 0) { seen.push(layer.map); }
      });
      return seen;
    },
    count: function () { return window.ChoPhienMap.maps().length; }
  };
})();
