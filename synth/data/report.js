// Draws synth's report charts as SVG from the JSON in #report-data. No libraries, no network.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = {
    "sales": "#e07b39", "marketing": "#c9a227", "customer success": "#3a9a6e", "engineering": "#3b6fb6",
    "design": "#9b59b6", "product": "#d0487a", "leadership": "#5d6d7e", "customers": "#8c8c8c",
    "opened": "#d35454", "resolved": "#3a9a6e", "untested": "#b0b7c3", "validated": "#3a9a6e",
    "invalidated": "#d35454", "open": "#3b6fb6", "days open": "#d38b3b"
  };
  var SPARE = ["#3b6fb6", "#e07b39", "#3a9a6e", "#9b59b6", "#c9a227", "#d0487a", "#5d6d7e"];

  function color(name, i) { return COLORS[name] || SPARE[i % SPARE.length]; }

  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function tip(node, text) { el("title", {}, node, text); return node; }

  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function legend(container, series) {
    var box = document.createElement("div");
    box.className = "legend";
    series.forEach(function (s, i) {
      var item = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = color(s.name, i);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      box.appendChild(item);
    });
    container.appendChild(box);
  }

  function axes(svg, left, top, width, height, max, unit) {
    var ticks = 4;
    for (var t = 0; t <= ticks; t++) {
      var value = max * t / ticks, y = top + height - height * t / ticks;
      el("line", { x1: left, x2: left + width, y1: y, y2: y, stroke: "#e3e8ef" }, svg);
      el("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#556" }, svg,
        String(Math.round(value * 10) / 10));
    }
    el("text", { x: 4, y: top - 8, "font-size": 11, fill: "#556" }, svg, unit);
  }

  function weekLabel(x) { return x.length === 10 ? x.slice(5) : x; }

  function columns(chart, container, stacked) {
    var W = 900, H = 280, left = 48, top = 24, bottom = 40, width = W - left - 12, height = H - top - bottom;
    var n = chart.x.length, marks = 0;
    var totals = chart.x.map(function (_, i) {
      return stacked ? chart.series.reduce(function (sum, s) { return sum + s.values[i]; }, 0)
        : Math.max.apply(null, chart.series.map(function (s) { return s.values[i]; }).concat([0]));
    });
    var max = niceMax(Math.max.apply(null, totals.concat([0])));
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": chart.title });
    axes(svg, left, top, width, height, max, chart.unit);
    var band = width / Math.max(n, 1), barW = Math.max(2, band * 0.7);
    chart.x.forEach(function (x, i) {
      var x0 = left + band * i + (band - barW) / 2, base = top + height;
      chart.series.forEach(function (s, k) {
        var v = s.values[i];
        if (!v) return;
        var h = height * v / max;
        var bx = stacked ? x0 : x0 + (barW / chart.series.length) * k;
        var bw = stacked ? barW : barW / chart.series.length;
        var y = stacked ? base - h : top + height - h;
        tip(el("rect", { x: bx, y: y, width: Math.max(1, bw - 1), height: h, fill: color(s.name, k), "class": "mark" }, svg),
          s.name + ", week of " + x + ": " + v + " " + chart.unit);
        if (stacked) base -= h;
        marks++;
      });
      if (n <= 16 || i % Math.ceil(n / 16) === 0)
        el("text", { x: left + band * i + band / 2, y: H - bottom + 16, "text-anchor": "middle", "font-size": 11, fill: "#556" },
          svg, weekLabel(x));
    });
    container.appendChild(svg);
    legend(container, chart.series);
    return marks;
  }

  function hbars(chart, container) {
    var rowH = 22, labelW = 430, W = 900, top = 8, n = chart.x.length, marks = 0;
    var values = chart.series[0] ? chart.series[0].values : [];
    var max = niceMax(Math.max.apply(null, values.concat([0])));
    var svg = el("svg", { viewBox: "0 0 " + W + " " + (top * 2 + rowH * Math.max(n, 1)), role: "img", "aria-label": chart.title });
    chart.x.forEach(function (label, i) {
      var y = top + rowH * i, v = values[i] || 0, w = (W - labelW - 60) * v / max;
      el("text", { x: labelW - 8, y: y + 15, "text-anchor": "end", "font-size": 12, fill: "#1d2433" }, svg, label);
      if (v) {
        tip(el("rect", { x: labelW, y: y + 3, width: Math.max(1, w), height: rowH - 6, fill: color(chart.series[0].name, 0), "class": "mark" }, svg),
          label + ": " + v + " " + chart.unit);
        marks++;
      }
      el("text", { x: labelW + w + 6, y: y + 15, "font-size": 12, fill: "#556" }, svg, String(v));
    });
    container.appendChild(svg);
    return marks;
  }

  function heatmap(chart, container) {
    var labelW = 130, top = 8, cellH = 26, W = 900, n = chart.x.length, marks = 0;
    var cellW = (W - labelW - 8) / Math.max(n, 1);
    var all = [].concat.apply([], chart.series.map(function (s) { return s.values; }));
    var max = Math.max.apply(null, all.concat([1]));
    var H = top + cellH * chart.series.length + 24;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": chart.title });
    chart.series.forEach(function (s, r) {
      var y = top + cellH * r;
      el("text", { x: labelW - 8, y: y + 17, "text-anchor": "end", "font-size": 12, fill: "#1d2433" }, svg, s.name);
      s.values.forEach(function (v, c) {
        var shade = v ? 0.15 + 0.85 * v / max : 0;
        tip(el("rect", { x: labelW + c * cellW, y: y, width: cellW - 2, height: cellH - 2, rx: 3,
          fill: v ? color(s.name, r) : "#f1f3f7", "fill-opacity": v ? shade : 1, "class": "mark" }, svg),
          s.name + ", week of " + chart.x[c] + ": " + v + " " + chart.unit);
        marks++;
        if (v && cellW > 26)
          el("text", { x: labelW + c * cellW + cellW / 2 - 1, y: y + 17, "text-anchor": "middle", "font-size": 10,
            fill: shade > 0.6 ? "#fff" : "#1d2433" }, svg, String(v));
      });
    });
    chart.x.forEach(function (x, c) {
      if (n <= 16 || c % Math.ceil(n / 16) === 0)
        el("text", { x: labelW + c * cellW + cellW / 2, y: H - 6, "text-anchor": "middle", "font-size": 11, fill: "#556" }, svg, weekLabel(x));
    });
    container.appendChild(svg);
    return marks;
  }

  var DRAW = {
    stacked: function (c, box) { return columns(c, box, true); },
    grouped: function (c, box) { return columns(c, box, false); },
    hbar: hbars,
    heatmap: heatmap
  };

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var drawn = 0;
  data.charts.forEach(function (chart) {
    var box = document.querySelector('[data-chart="' + chart.id + '"]');
    if (!box || !DRAW[chart.kind]) throw new Error("no way to draw chart " + chart.id + " (" + chart.kind + ")");
    box.dataset.marks = String(DRAW[chart.kind](chart, box));
    drawn++;
  });
  document.body.dataset.chartsDrawn = String(drawn);
})();
