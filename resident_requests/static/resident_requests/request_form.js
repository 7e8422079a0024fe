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

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function pickBuilding(id, label) {
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
    if (!similarBox || !hiddenBuilding.value || !category || !category.value) { if (similarBox) similarBox.hidden = true; return; }
    var url = form.dataset.similarUrl + "?building=" + encodeURIComponent(hiddenBuilding.value) + "&category=" + encodeURIComponent(category.value);
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        clear(similarBox);
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
          var ex = document.createElement("p");
          ex.className = "excerpt";
          ex.textContent = row.excerpt;
          var phoneLabel = document.createElement("label");
          phoneLabel.textContent = similarBox.dataset.phoneLabel;
          var phone = document.createElement("input");
          phone.name = "phone"; phone.inputMode = "tel"; phone.setAttribute("form", f.id);
          var mine = form.querySelector("[name=phone]");
          if (mine) phone.value = mine.value;
          phoneLabel.appendChild(phone);
          var consent = document.createElement("label");
          consent.className = "check";
          var box = document.createElement("input"); box.type = "checkbox"; box.name = "consent"; box.setAttribute("form", f.id);
          consent.appendChild(box);
          consent.appendChild(document.createTextNode(" " + similarBox.dataset.consentLabel));
          var btn = document.createElement("button");
          btn.type = "submit"; btn.className = "button secondary"; btn.textContent = similarBox.dataset.buttonLabel;
          btn.setAttribute("form", f.id);
          item.appendChild(p); item.appendChild(ex); item.appendChild(phoneLabel); item.appendChild(consent); item.appendChild(btn);
          similarBox.appendChild(item);
        });
        similarBox.hidden = false;
        // The resident has seen them: sending the form now means "mine is different".
        form.querySelector("[name=confirm_new]").value = "1";
      })
      .catch(function () { similarBox.hidden = true; });
  }
  if (hiddenBuilding && hiddenBuilding.value) loadSimilar();

  // One submit only: a double tap sends the form once (the server also ignores repeats).
  form.addEventListener("submit", function () {
    var button = form.querySelector("[data-once]");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });
})();
