/* The station finder: the map beside the list, and "use my location".
   No inline scripts: the data comes from a JSON block (json_script) and data- attributes.
   Without this file (or without Leaflet) the list, the search and the pages still work. */
(function () {
  "use strict";

  var COLOURS = { district: "#8e1010", street: "#b71c1c", community: "#d84315", grid: "#1565c0" };

  // Popups and tooltips get an element with textContent, never a string: Leaflet puts a string
  // in as HTML, and a station's name is data (a name "<img src=x onerror=…>" must stay text).
  function textOnly(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span;
  }

  function readMarkers() {
    var node = document.getElementById("station-markers");
    if (!node) { return []; }
    try { return JSON.parse(node.textContent) || []; } catch (e) { return []; }
  }

  function drawMap() {
    var el = document.getElementById("station-map");
    if (!el || typeof L === "undefined") { return; }
    var markers = readMarkers();
    var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.5 });
    // Tiles, or the district drawn from the portal's data; points converted for the tiles' datum.
    var jk = window.JKMap;
    var show = jk ? jk.toDisplay : function (lat, lng) { return [lat, lng]; };
    if (jk) {
      jk.baseLayer(map, { stations: false });
    } else if (el.getAttribute("data-tile-url")) {
      L.tileLayer(el.getAttribute("data-tile-url"), { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    }
    var openLabel = el.getAttribute("data-open-label");
    var closedLabel = el.getAttribute("data-closed-label");
    var points = [];
    markers.forEach(function (m) {
      var marker = L.circleMarker(show(m.lat, m.lng), {
        radius: m.level === "grid" ? 8 : 11,
        color: "#fff",
        weight: 2,
        fillColor: COLOURS[m.level] || "#b71c1c",
        fillOpacity: m.open ? 0.95 : 0.55
      }).addTo(map);
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = m.url;
      link.textContent = m.name;
      link.className = "popup-link";
      var state = document.createElement("div");
      state.textContent = m.open ? openLabel : closedLabel;
      popup.appendChild(link);
      popup.appendChild(state);
      marker.bindPopup(popup);
      marker.bindTooltip(textOnly(m.name));
      points.push(show(m.lat, m.lng));
    });
    var hereLat = parseFloat(el.getAttribute("data-here-lat"));
    var hereLng = parseFloat(el.getAttribute("data-here-lng"));
    if (!isNaN(hereLat) && !isNaN(hereLng)) {
      L.circleMarker(show(hereLat, hereLng), {
        radius: 10, color: "#1b5e20", weight: 4, fillColor: "#fff", fillOpacity: 1
      }).addTo(map).bindTooltip(textOnly(el.getAttribute("data-here-label")), { permanent: true, direction: "top" });
      points.push(show(hereLat, hereLng));
    }
    if (points.length === 1) {
      map.setView(points[0], 16);
    } else if (points.length > 1) {
      map.fitBounds(points, { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView(show(32.2, 119.45), 12);
    }
  }

  function locationButton() {
    var button = document.getElementById("use-location");
    var message = document.getElementById("location-message");
    if (!button || !("geolocation" in navigator)) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (message) { message.textContent = button.getAttribute("data-waiting"); }
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        // The phone gives WGS-84, which is what the server stores: sent as it is.
        var url = button.getAttribute("data-url") +
          "?lat=" + pos.coords.latitude.toFixed(6) + "&lng=" + pos.coords.longitude.toFixed(6);
        window.location.assign(url);
      }, function () {
        button.disabled = false;
        if (message) { message.textContent = button.getAttribute("data-error"); }
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function buildingSuggestions() {
    // As the resident types, offer the matching buildings as big buttons (the form still works
    // without this: submitting lists the same buildings).
    var list = document.getElementById("building-suggestions");
    var input = document.getElementById("id_address");
    if (!list || !input || !window.fetch) { return; }
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        if (text.length < parseInt(list.getAttribute("data-min"), 10) || text === asked) { return; }
        asked = text;
        fetch(list.getAttribute("data-api") + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (buildings) {
            if (text !== asked) { return; }
            list.textContent = "";
            buildings.slice(0, 8).forEach(function (b) {
              var item = document.createElement("li");
              var link = document.createElement("a");
              link.className = "button secondary wide";
              link.href = "?building=" + encodeURIComponent(b.id);
              link.textContent = b.address;
              item.appendChild(link);
              list.appendChild(item);
            });
          })
          .catch(function () { list.textContent = ""; });
      }, 300);
    });
  }

  function start() {
    locationButton();
    buildingSuggestions();
    drawMap();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
