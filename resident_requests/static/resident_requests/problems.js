/* The public map of problems: one circle per problem, from a JSON block (json_script).
   Popups and tooltips are built with textContent only: no HTML from the data, ever.
   Without this file (or without Leaflet) the list and its filters still work. */
(function () {
  "use strict";

  function readMarkers() {
    var node = document.getElementById("problem-markers");
    if (!node) { return []; }
    try { return JSON.parse(node.textContent) || []; } catch (e) { return []; }
  }

  function line(text, className) {
    var div = document.createElement("div");
    div.textContent = text;
    if (className) { div.className = className; }
    return div;
  }

  function drawMap() {
    var el = document.getElementById("problem-map");
    if (!el || typeof L === "undefined") { return; }
    var jk = window.JKMap;
    var show = jk ? jk.toDisplay : function (lat, lng) { return [lat, lng]; };
    var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.5 });
    if (jk) { jk.baseLayer(map, { stations: false }); }
    var detailsLabel = el.getAttribute("data-open-label");
    var points = [];
    readMarkers().forEach(function (m) {
      var at = show(m.lat, m.lng);
      var marker = L.circleMarker(at, {
        radius: 9,
        color: "#fff",
        weight: 2,
        fillColor: m.open ? "#c62828" : "#2e7d32",
        fillOpacity: 0.9
      }).addTo(map);
      var popup = document.createElement("div");
      popup.appendChild(line(m.category, "popup-link"));
      popup.appendChild(line(m.place));
      popup.appendChild(line(m.status_display + " · " + m.created));
      var link = document.createElement("a");
      link.href = m.url;
      link.textContent = detailsLabel;
      link.className = "popup-link";
      popup.appendChild(link);
      marker.bindPopup(popup);
      var text = line(m.category);
      marker.bindTooltip(text);
      points.push(at);
    });
    if (points.length === 1) {
      map.setView(points[0], 16);
    } else if (points.length > 1) {
      map.fitBounds(points, { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView(show(32.2, 119.45), 12);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawMap);
  } else {
    drawMap();
  }
}());
