/* window.JKMap: the one place where the portal's Leaflet maps get their background and convert
   coordinates. Stored points are WGS-84; tiles may be GCJ-02 (高德, 腾讯), so every point drawn
   goes through JKMap.toDisplay and every point picked on the map through JKMap.fromDisplay.
   Without a tile server, JKMap.baseLayer(map) draws the district itself from the portal's data
   (streets, communities, grids, buildings, stations) so the map is never blank.
   The configuration comes from {% jkmap_config %} (grids/templatetags/jkmap.py): a JSON block.

   Use:  var map = L.map(el); JKMap.baseLayer(map);            // tiles, or the drawn district
         L.marker(JKMap.toDisplay(lat, lng)).addTo(map);        // a stored WGS-84 point
         var wgs = JKMap.fromDisplay(event.latlng);             // a clicked point, to store
   Keep the formulas in step with grids/datum.py (tests/grids/test_jkmap_browser.py checks). */
(function () {
  "use strict";

  // --- Datum conversions (GCJ-02: Krasovsky ellipsoid; see grids/datum.py) --------------------
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var BD_X_PI = Math.PI * 3000.0 / 180.0;
  var TOLERANCE = 1e-9;
  var MAX_ITERATIONS = 30;

  function outsideChina(lat, lng) {
    return !(lng > 73.66 && lng < 135.05 && lat > 3.86 && lat < 53.55);
  }

  function offsetLat(x, y) {
    var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    ret += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    ret += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320.0 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return ret;
  }

  function offsetLng(x, y) {
    var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    ret += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    ret += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return ret;
  }

  function wgs84ToGcj02(lat, lng) {
    if (outsideChina(lat, lng)) { return [lat, lng]; }
    var dLat = offsetLat(lng - 105.0, lat - 35.0);
    var dLng = offsetLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI;
    var magic = 1 - EE * Math.pow(Math.sin(radLat), 2);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lng + dLng];
  }

  function gcj02ToBd09(lat, lng) {
    var z = Math.sqrt(lng * lng + lat * lat) + 0.00002 * Math.sin(lat * BD_X_PI);
    var theta = Math.atan2(lat, lng) + 0.000003 * Math.cos(lng * BD_X_PI);
    return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
  }

  function invert(forward, lat, lng, start) {
    // Fixed-point iteration: the offsets vary slowly, each step gains about three digits.
    var guess = start;
    for (var i = 0; i < MAX_ITERATIONS; i++) {
      var got = forward(guess[0], guess[1]);
      var errLat = got[0] - lat;
      var errLng = got[1] - lng;
      if (Math.abs(errLat) < TOLERANCE && Math.abs(errLng) < TOLERANCE) { break; }
      guess = [guess[0] - errLat, guess[1] - errLng];
    }
    return guess;
  }

  function gcj02ToWgs84(lat, lng) {
    if (outsideChina(lat, lng)) { return [lat, lng]; }
    return invert(wgs84ToGcj02, lat, lng, [lat, lng]);
  }

  function bd09ToGcj02(lat, lng) {
    var x = lng - 0.0065;
    var y = lat - 0.006;
    var z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * BD_X_PI);
    var theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * BD_X_PI);
    return invert(gcj02ToBd09, lat, lng, [z * Math.sin(theta), z * Math.cos(theta)]);
  }

  function fromWgs84(lat, lng, datum) {
    if (datum === "gcj02") { return wgs84ToGcj02(lat, lng); }
    if (datum === "bd09") { var g = wgs84ToGcj02(lat, lng); return gcj02ToBd09(g[0], g[1]); }
    return [lat, lng];
  }

  function toWgs84(lat, lng, datum) {
    if (datum === "gcj02") { return gcj02ToWgs84(lat, lng); }
    if (datum === "bd09") { var g = bd09ToGcj02(lat, lng); return gcj02ToWgs84(g[0], g[1]); }
    return [lat, lng];
  }

  // --- Configuration ---------------------------------------------------------------------------
  var config = null;

  function getConfig() {
    if (config) { return config; }
    var node = document.getElementById("jkmap-config");
    try { config = node ? JSON.parse(node.textContent) : {}; } catch (e) { config = {}; }
    return config;
  }

  function displayDatum() {
    var c = getConfig();
    return c.tileUrl ? (c.tileDatum || "wgs84") : "wgs84";
  }

  function pair(lat, lng) {
    // Accepts (lat, lng), [lat, lng] or a Leaflet LatLng.
    if (lng === undefined && lat) {
      return Array.isArray(lat) ? [lat[0], lat[1]] : [lat.lat, lat.lng];
    }
    return [lat, lng];
  }

  /* A stored WGS-84 point as [lat, lng] on this page's map. */
  function toDisplay(lat, lng) {
    var p = pair(lat, lng);
    return fromWgs84(p[0], p[1], displayDatum());
  }

  /* A point on this page's map (a click, a dragged pin) as WGS-84 [lat, lng], to store. */
  function fromDisplay(lat, lng) {
    var p = pair(lat, lng);
    return toWgs84(p[0], p[1], displayDatum());
  }

  // --- The district drawn from the portal's own data --------------------------------------------
  var STREET_FILLS = ["#f6d7c3", "#d9e8c8", "#cfe0f1", "#efe0b0", "#e3d3ee", "#cde8e4", "#f3cfd6"];
  var STATION_COLOURS = { district: "#8e1010", street: "#b71c1c", community: "#d84315", grid: "#1565c0" };
  var GRID_ZOOM = 15;        // grid outlines and names from this zoom
  var COMMUNITY_NAME_ZOOM = 14;
  var BUILDING_ZOOM = 16;    // building dots from this zoom (fetched per community in view)

  function label(text, latlng, className, pane) {
    return L.marker(latlng, {
      pane: pane,
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: "jk-label " + className, html: "", iconSize: null })
    }).on("add", function () {
      // textContent, never HTML: names are data.
      var el = this.getElement();
      if (el && !el.firstChild) {
        var span = document.createElement("span");
        span.textContent = text;
        el.appendChild(span);
      }
    });
  }

  function ensurePanes(map) {
    if (!map.getPane("jk-base")) {
      map.createPane("jk-base").style.zIndex = 250;    // above tiles, below markers
      map.createPane("jk-labels").style.zIndex = 450;  // above the shapes, below popups
      map.getPane("jk-labels").style.pointerEvents = "none";
    }
  }

  function drawDistrict(map, data, options) {
    ensurePanes(map);
    var c = getConfig();
    var renderer = L.svg({ pane: "jk-base", padding: 0.5 });
    var streetColour = {};
    var streets = L.layerGroup();
    var communities = L.layerGroup();
    var grids = L.layerGroup();
    var streetNames = L.layerGroup();
    var communityNames = L.layerGroup();
    var gridNames = L.layerGroup();
    var stations = L.layerGroup();
    var communityBounds = [];
    var all = L.latLngBounds([]);
    var n = 0;
    data.features.forEach(function (f) {
      var p = f.properties;
      if (p.kind === "street") { streetColour[p.id] = STREET_FILLS[n++ % STREET_FILLS.length]; }
    });
    data.features.forEach(function (f) {
      var p = f.properties;
      var where = p.label ? [p.label[1], p.label[0]] : null;
      if (p.kind === "station") {
        if (options.stations === false) { return; }
        var xy = f.geometry.coordinates;
        L.circleMarker([xy[1], xy[0]], {
          renderer: renderer, interactive: false, radius: p.level === "grid" ? 5 : 7,
          color: "#fff", weight: 2, fillColor: STATION_COLOURS[p.level] || "#b71c1c", fillOpacity: 0.95
        }).addTo(stations);
        return;
      }
      var style;
      if (p.kind === "street") {
        style = { color: "#6d4c41", weight: 2.5, fillColor: streetColour[p.id], fillOpacity: 0.75 };
      } else if (p.kind === "community") {
        style = { color: "#8d6e63", weight: 1.2, fill: false };
      } else {
        style = { color: "#a1887f", weight: 1, dashArray: "3 4", fill: false };
      }
      style.renderer = renderer;
      style.interactive = false;
      var shape = L.geoJSON(f, { style: style, interactive: false });
      if (p.kind === "street") {
        shape.addTo(streets);
        all.extend(shape.getBounds());
        if (where) { label(p.name, where, "jk-street", "jk-labels").addTo(streetNames); }
      } else if (p.kind === "community") {
        shape.addTo(communities);
        communityBounds.push({ id: p.id, bounds: shape.getBounds() });
        if (where) { label(p.name, where, "jk-community", "jk-labels").addTo(communityNames); }
      } else {
        shape.addTo(grids);
        if (where) { label(p.name, where, "jk-grid", "jk-labels").addTo(gridNames); }
      }
    });
    streets.addTo(map);
    communities.addTo(map);
    stations.addTo(map);

    var buildings = L.layerGroup();
    var fetched = {};
    function loadBuildings() {
      if (!c.buildingsUrl || !window.fetch) { return; }
      var view = map.getBounds();
      communityBounds.forEach(function (cb) {
        if (fetched[cb.id] || !view.intersects(cb.bounds)) { return; }
        fetched[cb.id] = true;
        fetch(c.buildingsUrl.replace("/0.geojson", "/" + cb.id + ".geojson"), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (f) {
            if (!f) { return; }
            f.geometry.coordinates.forEach(function (xy) {
              L.circleMarker([xy[1], xy[0]], {
                renderer: renderer, interactive: false, radius: 3, weight: 1,
                color: "#795548", fillColor: "#bcaaa4", fillOpacity: 1
              }).addTo(buildings);
            });
          })
          .catch(function () { fetched[cb.id] = false; });
      });
    }

    function declutter() {
      // Names must be readable: a name that would overlap one already shown (streets first,
      // then communities, then grids) waits for a closer zoom.
      var kept = [];
      [streetNames, communityNames, gridNames].forEach(function (group) {
        if (!map.hasLayer(group)) { return; }
        group.eachLayer(function (marker) {
          var el = marker.getElement();
          var span = el && el.firstChild;
          if (!span) { return; }
          span.style.visibility = "";
          var r = span.getBoundingClientRect();
          var clash = kept.some(function (k) {
            return r.left < k.right + 4 && r.right > k.left - 4 && r.top < k.bottom + 2 && r.bottom > k.top - 2;
          });
          if (clash) { span.style.visibility = "hidden"; } else { kept.push(r); }
        });
      });
    }

    function byZoom() {
      var z = map.getZoom();
      function show(layer, on) {
        if (on && !map.hasLayer(layer)) { layer.addTo(map); }
        if (!on && map.hasLayer(layer)) { map.removeLayer(layer); }
      }
      show(streetNames, z < COMMUNITY_NAME_ZOOM);
      show(communityNames, z >= COMMUNITY_NAME_ZOOM && z < GRID_ZOOM + 1);
      show(grids, z >= GRID_ZOOM);
      show(gridNames, z >= GRID_ZOOM + 1);
      show(buildings, z >= BUILDING_ZOOM);
      if (z >= BUILDING_ZOOM) { loadBuildings(); }
      declutter();
    }
    map.on("zoomend moveend", byZoom);
    if (map._loaded) { byZoom(); } else { map.whenReady(byZoom); }
    map.getContainer().classList.remove("no-tiles");  // the striped "nothing here" background
    map.getContainer().classList.add("jk-drawn-map");
    map.getContainer().setAttribute("data-basemap", "drawn");
    return { bounds: all };
  }

  /* The map's background: the configured tiles, else the district drawn from the portal's data.
     options.stations (default true): draw the stations as small dots too (pages with their own
     station markers pass false). Returns a Promise that resolves when the background is in
     place, with {bounds} of the district when drawn. */
  function baseLayer(map, options) {
    options = options || {};
    var c = getConfig();
    window.JKMap.maps.push(map);
    if (c.tileUrl) {
      var tiles = { maxZoom: 19, subdomains: c.tileSubdomains || "abc", attribution: c.tileAttribution || "" };
      L.tileLayer(c.tileUrl, tiles).addTo(map);
      if (c.tileOverlayUrl) {  // 天地图: the names layer over the map layer
        L.tileLayer(c.tileOverlayUrl, { maxZoom: 19, subdomains: tiles.subdomains }).addTo(map);
      }
      map.getContainer().setAttribute("data-basemap", "tiles");
      return Promise.resolve({ bounds: null });
    }
    map.getContainer().classList.add("no-tiles");
    if (!c.basemapUrl || !window.fetch) { return Promise.resolve({ bounds: null }); }
    return fetch(c.basemapUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { return drawDistrict(map, data, options); })
      .catch(function () {
        map.getContainer().setAttribute("data-basemap", "failed");
        return { bounds: null };
      });
  }

  window.JKMap = {
    baseLayer: baseLayer,
    toDisplay: toDisplay,
    fromDisplay: fromDisplay,
    displayDatum: displayDatum,
    config: getConfig,
    maps: [],  // every map given a background, for tests and for pages that need them later
    datum: {
      fromWgs84: fromWgs84,
      toWgs84: toWgs84,
      wgs84ToGcj02: wgs84ToGcj02,
      gcj02ToWgs84: gcj02ToWgs84,
      gcj02ToBd09: gcj02ToBd09,
      bd09ToGcj02: bd09ToGcj02
    }
  };
})();
