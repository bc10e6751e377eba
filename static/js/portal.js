// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Focus the error summary after a failed save or submission, so keyboard and screen-reader users land on it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // Show only the chosen province's cities.
  [document.getElementById("id_city")].forEach(function (citySelect) {
    var provinceSelect = document.getElementById("id_province");
    if (!citySelect || !provinceSelect) { return; }
    // On a page sent back with errors the chosen city stays visible even if it lies in another province:
    // the error names it, and nothing the user chose disappears. A new province choice clears it.
    function filter(initial) {
      var chosen = provinceSelect.options[provinceSelect.selectedIndex];
      var label = chosen && chosen.value ? chosen.text : null;
      var selected = citySelect.options[citySelect.selectedIndex];
      var keep = initial && selected && selected.parentElement.tagName === "OPTGROUP" ? selected.parentElement : null;
      citySelect.querySelectorAll("optgroup").forEach(function (group) {
        var show = !label || group.label === label || group === keep;
        group.hidden = !show;
        group.disabled = !show;
      });
      if (!initial && selected && selected.parentElement.tagName === "OPTGROUP" && selected.parentElement.disabled) {
        citySelect.value = "";
      }
    }
    provinceSelect.addEventListener("change", function () { filter(false); });
    filter(true);
  });

  // The ministry is asked only of units affiliated with a central ministry.
  var affiliation = document.getElementById("id_affiliation");
  var ministry = document.getElementById("div_id_ministry");
  if (affiliation && ministry) {
    var toggle = function () { ministry.hidden = affiliation.value !== "ministry"; };
    affiliation.addEventListener("change", toggle);
    toggle();
  }

  // Add a row to a table of rows without a round trip (the "save and add a row" button does it without JS).
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var prefix = button.getAttribute("data-add-row");
    var template = document.getElementById(prefix + "-empty-row");
    var body = document.getElementById(prefix + "-rows");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !body || !total) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, index).replace(/__number__/g, index + 1);
      body.insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      var first = body.lastElementChild.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  });

  // Everything below used to be inline; the Content-Security-Policy allows scripts from files only.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.addEventListener("click", function () { window.print(); });
  });
  // Controls that need script are shown only with it; their no-script fallbacks hide.
  document.querySelectorAll(".js-only").forEach(function (el) { el.classList.remove("d-none"); });
  document.querySelectorAll(".no-js-only").forEach(function (el) { el.classList.add("d-none"); });

  // The objection form shows only the part for the kind of objector chosen (both without script).
  var kinds = document.querySelectorAll("input[name=kind]");
  if (kinds.length) {
    var parts = document.querySelectorAll("[data-kind]");
    var toggleKind = function () {
      var chosen = document.querySelector("input[name=kind]:checked");
      parts.forEach(function (part) { part.hidden = !!chosen && part.getAttribute("data-kind") !== chosen.value; });
    };
    kinds.forEach(function (radio) { radio.addEventListener("change", toggleKind); });
    toggleKind();
  }

  // The ranking: drag a row with the mouse, then save (the Up/Down buttons work without script).
  var rankBody = document.querySelector("#ranking-table tbody");
  var rankForm = document.getElementById("rank-form");
  if (rankBody && rankForm) {
    var dragged = null;
    rankBody.addEventListener("dragstart", function (e) { dragged = e.target.closest("tr"); e.dataTransfer.effectAllowed = "move"; });
    rankBody.addEventListener("dragover", function (e) {
      e.preventDefault();
      var row = e.target.closest("tr");
      if (!row || !dragged || row === dragged) { return; }
      var after = e.clientY > row.getBoundingClientRect().top + row.offsetHeight / 2;
      rankBody.insertBefore(dragged, after ? row.nextSibling : row);
    });
    rankBody.addEventListener("drop", function (e) {
      e.preventDefault();
      document.getElementById("rank-order").value = Array.prototype.map.call(
        rankBody.querySelectorAll("tr"), function (r) { return r.dataset.id; }).join(",");
      rankForm.hidden = false;
      rankForm.querySelector("button").focus();
    });
  }

  // After an Up/Down move the page comes back as #move-<id>-<direction>: focus that button again (or the
  // row's other one once it reached the top or bottom), so that the keyboard user carries on from there.
  var moved = /^#move-(\d+)-(up|down)$/.exec(window.location.hash);
  if (moved) {
    var again = document.getElementById("move-" + moved[1] + "-" + moved[2]);
    var other = document.getElementById("move-" + moved[1] + "-" + (moved[2] === "up" ? "down" : "up"));
    var target = again && !again.disabled ? again : other;
    if (target) { target.focus(); }
  }

  // Ask before leaving a form with unsaved changes: once a field changed, or from the start on a page shown
  // again with entries that were not saved (data-unsaved). Saving the form itself is no leaving.
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var dirty = form.hasAttribute("data-unsaved");
    var changed = function () { dirty = true; };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  });

  // A form that changes state is sent once, however often its button is clicked.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    });
  });
  // The account form: show only the scope fields the chosen role needs (the server checks them anyway).
  var roleSelect = document.getElementById("id_role");
  var scoped = document.querySelectorAll("[data-shown-for]");
  if (roleSelect && scoped.length) {
    var showScope = function () {
      scoped.forEach(function (element) {
        element.hidden = element.getAttribute("data-shown-for").split(" ").indexOf(roleSelect.value) < 0;
      });
    };
    roleSelect.addEventListener("change", showScope);
    showScope();
  }

  // What was typed survives an expired session. A section form keeps a copy of its fields in this tab's
  // sessionStorage as it is sent; when the page is next opened straight from the login (or second-factor)
  // page — the session had ended, the save never happened — the copy is put back and the user told so.
  // Any other opening of the page throws the copy away: the server's values are the current ones.
  var draftForm = document.querySelector("form[data-draft]");
  if (draftForm && window.sessionStorage) {
    var draftKey = "navportal-draft:" + window.location.pathname;
    var draftFields = function () {
      return Array.prototype.filter.call(draftForm.elements, function (el) {
        return el.name && el.name !== "csrfmiddlewaretoken" && el.name !== "lock_version" &&
          ["file", "submit", "button", "hidden"].indexOf(el.type) < 0;
      });
    };
    var stash = null;
    try { stash = JSON.parse(window.sessionStorage.getItem(draftKey) || "null"); } catch (e) { stash = null; }
    window.sessionStorage.removeItem(draftKey);
    if (stash && stash.values && /\/accounts\//.test(document.referrer) && Date.now() - stash.at < 3600 * 1000) {
      var restored = 0;
      draftFields().forEach(function (el) {
        var value = stash.values[el.name];
        if (!value) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          var on = value.indexOf(el.value) >= 0;
          if (el.checked !== on) { el.checked = on; restored += 1; }
        } else if (el.value !== value[0]) {
          el.value = value[0];
          restored += 1;
        }
      });
      if (restored) {
        var note = document.getElementById("draft-restored");
        if (note) { note.hidden = false; }
        draftForm.dispatchEvent(new Event("input"));   // unsaved again: warn before leaving
      }
    }
    draftForm.addEventListener("submit", function () {
      var values = {};
      draftFields().forEach(function (el) {
        values[el.name] = values[el.name] || [];
        if ((el.type !== "checkbox" && el.type !== "radio") || el.checked) { values[el.name].push(el.value); }
      });
      try {
        window.sessionStorage.setItem(draftKey, JSON.stringify({at: Date.now(), values: values}));
      } catch (e) { /* storage full or refused: nothing to keep */ }
    });
  }
})();
