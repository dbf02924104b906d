/* Chợ Phiên — the organizer dashboard's charts (by hour, by OCOP product group), drawn with the vendored
   uPlot from the figures the page embeds as JSON (<script type="application/json" id="dashboard-data">).
   Plain JS, no build step. The tables beside the charts carry the same figures: without this file, or
   without uPlot, the page is complete. htmx swaps the figures block every few seconds while the fair
   runs; the charts are drawn again for the new figures. Text goes in with textContent only. */
(function () {
  'use strict';

  var HEIGHT = 260;
  var charts = [];
  var lang = (document.documentElement.getAttribute('lang') || 'vi').slice(0, 2);
  var english = lang === 'en';
  var numbers = new Intl.NumberFormat(english ? 'en-US' : 'vi-VN', { maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat(english ? 'en-US' : 'vi-VN', { maximumFractionDigits: 0 });

  function money(value) {
    var text = whole.format(value);
    return english ? '₫' + text : text + ' ₫';
  }

  /* Axis ticks: 1,5 tr / 1.5M; 200k; 3 tỷ / 3B. */
  function shortMoney(value) {
    var abs = Math.abs(value);
    if (abs >= 1e9) { return numbers.format(value / 1e9) + (english ? 'B' : ' tỷ'); }
    if (abs >= 1e6) { return numbers.format(value / 1e6) + (english ? 'M' : ' tr'); }
    if (abs >= 1e3) { return numbers.format(value / 1e3) + 'k'; }
    return numbers.format(value);
  }

  function readData() {
    var node = document.getElementById('dashboard-data');
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function destroyAll() {
    charts.forEach(function (entry) { entry.plot.destroy(); });
    charts = [];
  }

  /* A bar chart of `values` over categories: short `labels` on the axis, `names` (full) in the readout. */
  function barChart(el, labels, names, values, seriesLabel) {
    if (!labels.length) { return; }
    var readout = document.createElement('p');
    readout.className = 'muted small dash-readout';
    var xs = labels.map(function (_label, i) { return i; });
    function describe(i) {  // the bar under the pointer, else the last one
      var at = i == null || i < 0 || i >= values.length ? values.length - 1 : i;
      readout.textContent = names[at] + ': ' + money(values[at]);
    }
    var plot = new window.uPlot({
      width: Math.max(el.clientWidth, 280),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: function () { return [-0.5, labels.length - 0.5]; } },
        y: { range: function (_u, _min, max) { return [0, max > 0 ? max * 1.1 : 1]; } }
      },
      axes: [
        {
          incrs: [1, 2, 3, 4, 6, 8, 12, 24, 48],
          space: 56,
          grid: { show: false },
          values: function (_u, splits) {
            return splits.map(function (i) { return Number.isInteger(i) && labels[i] !== undefined ? labels[i] : ''; });
          }
        },
        { size: 64, values: function (_u, splits) { return splits.map(shortMoney); } }
      ],
      series: [
        {},
        {
          label: seriesLabel,
          fill: 'rgba(27, 94, 32, 0.78)',
          stroke: '#1b5e20',
          width: 1,
          points: { show: false },
          paths: window.uPlot.paths.bars({ size: [0.7, 64] })
        }
      ],
      hooks: { setCursor: [function (u) { describe(u.cursor.idx); }] }
    }, [xs, values], el);
    el.appendChild(readout);
    describe(values.length - 1);
    charts.push({ plot: plot, el: el });
  }

  function draw() {
    destroyAll();
    if (!window.uPlot) { return; }
    var data = readData();
    if (!data) { return; }
    var hours = document.getElementById('chart-hours');
    if (hours && data.hours) {
      hours.textContent = '';
      barChart(hours, data.hours.labels, data.hours.names, data.hours.revenue, hours.dataset.series || '');
    }
    var groups = document.getElementById('chart-groups');
    if (groups && data.groups) {
      groups.textContent = '';
      barChart(groups, data.groups.labels, data.groups.names, data.groups.revenue, groups.dataset.series || '');
    }
  }

  var resizeTimer;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (entry) {
        entry.plot.setSize({ width: Math.max(entry.el.clientWidth, 280), height: HEIGHT });
      });
    }, 150);
  });

  /* htmx calls this for the page once it is ready, and for the new figures after every swap. */
  if (window.htmx && window.htmx.onLoad) {
    window.htmx.onLoad(function (elt) {
      if (elt.querySelector && elt.querySelector('#dashboard-data')) { draw(); }
    });
  } else {
    draw();
  }
}());
