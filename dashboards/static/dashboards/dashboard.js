/* Draws the dashboard's charts (ECharts) and its map (Leaflet): open requests by grid, and a heat
   layer of the requests received, drawn as circle markers (no heat-map library), from the data
   the page passes with json_script. Every chart's numbers are also in the table below it. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var PALETTE = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f"];

  function optionFor(chart) {
    var base = {
      color: PALETTE,
      animation: false,
      tooltip: { trigger: chart.kind === "pie" ? "item" : "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true }
    };
    if (chart.kind === "pie") {
      base.series = [{
        type: "pie",
        radius: ["35%", "65%"],
        top: 24,
        data: chart.labels.map(function (label, i) {
          return { name: label, value: chart.series[0].data[i] };
        })
      }];
      return base;
    }
    var categoryAxis = { type: "category", data: chart.labels, axisLabel: { hideOverlap: true } };
    var valueAxis = { type: "value", minInterval: 1 };
    if (chart.kind === "hbar") {
      categoryAxis.inverse = true;
      base.xAxis = valueAxis;
      base.yAxis = categoryAxis;
    } else {
      base.xAxis = categoryAxis;
      base.yAxis = valueAxis;
    }
    base.series = chart.series.map(function (s) {
      return { name: s.name, type: chart.kind === "line" ? "line" : "bar", data: s.data };
    });
    return base;
  }

  function drawCharts() {
    var charts = readJson("dashboard-charts") || [];
    var drawn = [];
    charts.forEach(function (chart) {
      var el = document.getElementById("chart-" + chart.key);
      if (!el || !window.echarts) { return; }
      if (!chart.labels.length) { el.hidden = true; return; }
      var instance = window.echarts.init(el, null, { renderer: "canvas" });
      instance.setOption(optionFor(chart));
      el.setAttribute("data-drawn", "true");
      drawn.push(instance);
    });
    window.addEventListener("resize", function () {
      drawn.forEach(function (instance) { instance.resize(); });
    });
  }

  // Heat colours, pale to dark red, by a spot's share of the busiest spot.
  var HEAT = ["#fee08b", "#fdae61", "#f46d43", "#d73027", "#a50026"];
  // Below this zoom the heat layer shows grids; from it on, buildings.
  var BUILDING_ZOOM = 15;

  function heatMarkers(spots, show, label) {
    var group = window.L.layerGroup();
    var max = Math.max.apply(null, spots.map(function (s) { return s.received; }).concat([1]));
    spots.forEach(function (s) {
      var share = s.received / max;
      var marker = window.L.circleMarker(show(s.lat, s.lng), {
        radius: 4 + 16 * Math.sqrt(share),
        stroke: false,
        fillColor: HEAT[Math.min(HEAT.length - 1, Math.floor(share * HEAT.length))],
        fillOpacity: 0.7
      }).addTo(group);
      var text = document.createElement("span");
      text.textContent = s.name + ": " + s.received + " " + label;
      marker.bindTooltip(text);
    });
    return group;
  }

  function drawMap() {
    var el = document.getElementById("dash-map");
    var data = readJson("dashboard-map");
    if (!el || !data || !window.L) { return; }
    var heat = data.heat || { grids: [], buildings: [] };
    if (!data.points.length && !heat.grids.length && !heat.buildings.length) {
      el.hidden = true;
      return;
    }
    var map = window.L.map(el, { scrollWheelZoom: false });
    // Tiles or the district drawn from the portal's data; points converted for the tiles' datum.
    var jk = window.JKMap;
    var show = jk ? jk.toDisplay : function (lat, lng) { return [lat, lng]; };
    if (jk) {
      jk.baseLayer(map, { stations: false });
    } else if (data.tile_url) {
      window.L.tileLayer(data.tile_url, { attribution: data.tile_attribution || "" }).addTo(map);
    }
    var labels = data.labels || {};
    var open = window.L.layerGroup();
    var max = Math.max.apply(null, data.points.map(function (p) { return p.open; }).concat([1]));
    var bounds = [];
    data.points.forEach(function (p) {
      var marker = window.L.circleMarker(show(p.lat, p.lng), {
        radius: 5 + 15 * Math.sqrt(p.open / max),
        color: p.overdue ? "#b71c1c" : "#1565c0",
        weight: 2,
        fillOpacity: 0.45
      }).addTo(open);
      var text = document.createElement("span");
      text.textContent = p.name + ": " + p.open + (p.overdue ? " (" + p.overdue + " !)" : "");
      marker.bindTooltip(text);
      bounds.push(show(p.lat, p.lng));
    });
    var gridHeat = heatMarkers(heat.grids, show, labels.received || "");
    var buildingHeat = heatMarkers(heat.buildings, show, labels.received || "");
    heat.grids.concat(heat.buildings).forEach(function (s) { bounds.push(show(s.lat, s.lng)); });
    // One heat layer in the layer control; grids or buildings in it by zoom.
    var heatLayer = window.L.layerGroup();
    function showHeatFor(zoom) {
      var detail = zoom >= BUILDING_ZOOM && heat.buildings.length;
      heatLayer.clearLayers();
      heatLayer.addLayer(detail ? buildingHeat : gridHeat);
      el.setAttribute("data-heat", detail ? "buildings" : "grids");
      el.setAttribute("data-zoom", String(zoom));
    }
    var overlays = {};
    overlays[labels.heat || "heat"] = heatLayer;
    overlays[labels.open || "open"] = open;
    window.L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    (data.points.length ? open : heatLayer).addTo(map);
    map.on("zoomend", function () { showHeatFor(map.getZoom()); });
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
    showHeatFor(map.getZoom());
    el.setAttribute("data-drawn", "true");
  }

  function start() {
    drawCharts();
    drawMap();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
