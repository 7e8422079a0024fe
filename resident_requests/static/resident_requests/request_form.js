// The request form: building autocomplete, the two-level category picker, "me too" before
// submitting, and one submit only. The form works without this script.
(function () {
  "use strict";
  var form = document.querySelector("form.request-form");
  if (!form) return;
  var textInput = form.querySelector("[data-building-search]");
  var hiddenBuilding = form.querySelector("input[type=hidden][name=building]");
  var results = document.getElementById("building-results");
  var group = form.querySelector("select[name=category_group]");
  var category = form.querySelector("select[name=category]");
  var similarBox = document.getElementById("similar-live");
  var timer = null;
  // The building (picked, and its text as the server will read it) and the kind the last
  // look-up answered for. A form sent with those says the resident has seen what was open
  // nearby, if anything (confirm_new), and the server does not look again; sent with others
  // (the address typed again by hand), or after a look-up that failed, it does.
  var lookedFor = null;

  function placeKey() {
    return [hiddenBuilding.value, textInput ? textInput.value : "", category ? category.value : ""].join("|");
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function pickBuilding(id, label) {
    if (notListed && notListed.checked) { notListed.checked = false; showNotListed(); }
    hiddenBuilding.value = id;
    textInput.value = label;
    results.hidden = true;
    clear(results);
    form.querySelectorAll("input[type=radio][name=building]").forEach(function (r) { r.checked = String(r.value) === String(id); });
    loadSimilar();
  }

  function searchBuildings() {
    var q = textInput.value.trim();
    hiddenBuilding.value = "";
    if (q.length < 2) { results.hidden = true; return; }
    fetch(form.dataset.buildingsUrl + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        clear(results);
        data.results.forEach(function (b) {
          var li = document.createElement("li");
          var btn = document.createElement("button");
          btn.type = "button";
          btn.textContent = b.label;
          btn.addEventListener("click", function () { pickBuilding(b.id, b.label); });
          li.appendChild(btn);
          results.appendChild(li);
        });
        results.hidden = data.results.length === 0;
      })
      .catch(function () { results.hidden = true; });
  }

  if (textInput && results) {
    textInput.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(searchBuildings, 250);
    });
  }
  form.querySelectorAll("input[type=radio][name=building]").forEach(function (r) {
    r.addEventListener("change", function () { pickBuilding(r.value, r.dataset.address); });
  });

  // "My building is not in the list": the panel opens when ticked, with a map to tap a pin on
  // (a circle, no marker images) and the phone's location; the point goes into lat/lng as
  // WGS-84 (JKMap converts from the tiles' datum and, without tiles, draws the district).
  // Without this script (or without Leaflet) the panel stays open: address and community.
  var notListed = form.querySelector("[data-not-listed]");
  var panel = document.getElementById("not-listed-panel");
  var mapEl = document.getElementById("pin-map");
  var latInput = form.querySelector("input[name=lat]");
  var lngInput = form.querySelector("input[name=lng]");
  var placeMessage = document.getElementById("place-message");
  var locateButton = document.getElementById("use-my-location");
  var pinMap = null;
  var pin = null;

  function sayPlace(text, isError) {
    if (!placeMessage) return;
    placeMessage.textContent = text || "";
    placeMessage.classList.toggle("error", !!isError);
  }

  function shown(lat, lng) { return window.JKMap ? window.JKMap.toDisplay(lat, lng) : [lat, lng]; }

  function pinLabel() {  // text, never HTML (Leaflet puts a string in as HTML)
    var span = document.createElement("span");
    span.textContent = mapEl.dataset.pinLabel || "";
    return span;
  }

  function placePin(lat, lng) {  // a WGS-84 point
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    if (!pinMap) return;
    if (pin) { pin.setLatLng(shown(lat, lng)); return; }
    pin = L.circleMarker(shown(lat, lng), { radius: 14, color: "#fff", weight: 4, fillColor: "#c62828", fillOpacity: 0.95 })
      .addTo(pinMap)
      .bindTooltip(pinLabel(), { permanent: true, direction: "top", offset: [0, -12] });
  }

  function drawPinMap() {
    if (pinMap || !mapEl || typeof L === "undefined") return;
    mapEl.hidden = false;
    var note = document.getElementById("pin-map-note");
    if (note) note.hidden = false;
    var b = (mapEl.dataset.bounds || "").split(",").map(parseFloat);
    var bounds = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
    pinMap = L.map(mapEl, { scrollWheelZoom: false, maxBounds: bounds.pad(0.5), zoomSnap: 0.5 });
    if (window.JKMap) {
      window.JKMap.baseLayer(pinMap, { stations: false });
    } else if (mapEl.dataset.tileUrl) {
      L.tileLayer(mapEl.dataset.tileUrl, { maxZoom: 19, attribution: mapEl.dataset.attribution || "" }).addTo(pinMap);
    } else {
      mapEl.classList.add("no-tiles");
    }
    var lat = parseFloat(latInput.value);
    var lng = parseFloat(lngInput.value);
    if (!isNaN(lat) && !isNaN(lng)) {
      pinMap.setView(shown(lat, lng), 16);
      placePin(lat, lng);
    } else {
      pinMap.fitBounds(bounds);
    }
    pinMap.on("click", function (e) {
      var p = window.JKMap ? window.JKMap.fromDisplay(e.latlng) : [e.latlng.lat, e.latlng.lng];
      placePin(p[0], p[1]);
      sayPlace(mapEl.dataset.pinned);
    });
  }

  function showNotListed() {
    if (!notListed || !panel) return;
    panel.hidden = !notListed.checked;
    if (!notListed.checked) return;
    hiddenBuilding.value = "";
    results.hidden = true;
    drawPinMap();
    if (pinMap) pinMap.invalidateSize();
  }

  if (notListed && panel && latInput && lngInput) {
    notListed.addEventListener("change", showNotListed);
    showNotListed();
    if (locateButton && "geolocation" in navigator) {
      locateButton.hidden = false;
      locateButton.addEventListener("click", function () {
        sayPlace(locateButton.dataset.waiting);
        locateButton.disabled = true;
        navigator.geolocation.getCurrentPosition(function (pos) {
          locateButton.disabled = false;
          drawPinMap();
          placePin(pos.coords.latitude, pos.coords.longitude);
          if (pinMap) pinMap.setView(shown(pos.coords.latitude, pos.coords.longitude), 17);
          sayPlace(locateButton.dataset.done);
        }, function () {
          locateButton.disabled = false;
          sayPlace(locateButton.dataset.error, true);
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  }

  // Two-level picker: the first select narrows the second to that group's kinds.
  var allGroups = category ? Array.prototype.slice.call(category.querySelectorAll("optgroup")) : [];
  function filterCategories() {
    if (!group || !category) return;
    var chosen = group.options[group.selectedIndex] ? group.options[group.selectedIndex].text : "";
    allGroups.forEach(function (og) {
      var show = !group.value || og.label === chosen;
      og.hidden = !show;
      og.disabled = !show;
    });
    var current = category.options[category.selectedIndex];
    if (current && current.parentNode.disabled) category.value = "";
  }
  if (group && category) {
    if (!group.value && category.value) {
      var og = category.options[category.selectedIndex].parentNode;
      Array.prototype.forEach.call(group.options, function (o) { if (o.text === og.label) group.value = o.value; });
    }
    group.addEventListener("change", function () { filterCategories(); loadSimilar(); });
    category.addEventListener("change", loadSimilar);
    filterCategories();
  }

  // "Me too": open requests of the same kind nearby, shown before the resident sends theirs.
  function loadSimilar() {
    lookedFor = null;
    if (!similarBox || !hiddenBuilding.value || !category || !category.value) { if (similarBox) similarBox.hidden = true; return; }
    var key = placeKey();
    // The look-up answers only with this page's own form token.
    var formToken = form.querySelector("[name=form_token]");
    var url = form.dataset.similarUrl + "?building=" + encodeURIComponent(hiddenBuilding.value) + "&category=" + encodeURIComponent(category.value) +
      "&token=" + encodeURIComponent(formToken ? formToken.value : "");
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        clear(similarBox);
        if (!data || !data.results) { similarBox.hidden = true; return; }  // refused: not looked
        lookedFor = key;
        if (!data.results.length) { similarBox.hidden = true; return; }
        var tpl = document.getElementById("similar-template");
        if (tpl) similarBox.appendChild(document.importNode(tpl.content, true));
        var outside = document.getElementById("support-forms");
        clear(outside);
        data.results.forEach(function (row, index) {
          // The "me too" forms live outside the request form; their fields point at them.
          var f = document.createElement("form");
          f.method = "post";
          f.action = form.dataset.supportUrl;
          f.id = "support-form-" + index;
          var fields = { csrfmiddlewaretoken: form.querySelector("[name=csrfmiddlewaretoken]").value, ref: row.ref, building: hiddenBuilding.value, category: category.value };
          Object.keys(fields).forEach(function (k) {
            var i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = fields[k]; f.appendChild(i);
          });
          outside.appendChild(f);

          var item = document.createElement("div");
          item.className = "similar-item";
          var p = document.createElement("p");
          var strong = document.createElement("strong");
          strong.textContent = row.category;
          p.appendChild(strong);
          p.appendChild(document.createTextNode(" · " + row.address + " · " + row.created + " · " + row.status));
          // Only a redacted excerpt, and only when its resident allowed it: usually none.
          var ex = null;
          if (row.excerpt) {
            ex = document.createElement("p");
            ex.className = "excerpt";
            ex.textContent = row.excerpt;
          }
          var phoneLabel = document.createElement("label");
          phoneLabel.textContent = similarBox.dataset.phoneLabel;
          var phone = document.createElement("input");
          phone.name = "phone"; phone.inputMode = "tel"; phone.setAttribute("form", f.id);
          // One phone number for both: typed here or in the form below, it fills the other.
          var mine = form.querySelector("[name=phone]");
          if (mine) {
            phone.value = mine.value;
            phone.addEventListener("input", function () { mine.value = phone.value; });
          }
          phoneLabel.appendChild(phone);
          var consent = document.createElement("label");
          consent.className = "check";
          var box = document.createElement("input"); box.type = "checkbox"; box.name = "consent"; box.setAttribute("form", f.id);
          consent.appendChild(box);
          consent.appendChild(document.createTextNode(" " + similarBox.dataset.consentLabel));
          var btn = document.createElement("button");
          btn.type = "submit"; btn.className = "button secondary"; btn.textContent = similarBox.dataset.buttonLabel;
          btn.setAttribute("form", f.id);
          item.appendChild(p); if (ex) item.appendChild(ex); item.appendChild(phoneLabel); item.appendChild(consent); item.appendChild(btn);
          similarBox.appendChild(item);
        });
        similarBox.hidden = false;
      })
      .catch(function () { similarBox.hidden = true; });
  }
  var mainPhone = form.querySelector("[name=phone]");
  if (mainPhone && similarBox) {
    mainPhone.addEventListener("input", function () {
      similarBox.querySelectorAll("input[name=phone]").forEach(function (i) { i.value = mainPhone.value; });
    });
  }
  if (hiddenBuilding && hiddenBuilding.value) loadSimilar();

  // One submit only: a double tap sends the form once (the server also ignores repeats).
  form.addEventListener("submit", function () {
    // Looked up for this building and kind: what was open nearby the resident has seen (or
    // there was none), so sending now means "mine is different". Otherwise the server looks.
    var confirmNew = form.querySelector("[name=confirm_new]");
    if (confirmNew && lookedFor !== null) confirmNew.value = lookedFor === placeKey() ? "1" : "";
    // Without photos the form goes URL-encoded, as a form with no file field does: a smaller
    // body than multipart's boundaries and headers, and cheaper for the server to read. Only
    // where the browser says no file is chosen: an old one that cannot say sends multipart.
    var photos = form.querySelector("input[type=file]");
    form.enctype = photos && photos.files && photos.files.length === 0
      ? "application/x-www-form-urlencoded" : "multipart/form-data";
    var button = form.querySelector("[data-once]");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });
})();
