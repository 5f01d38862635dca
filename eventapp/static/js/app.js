// The little JavaScript the pages use. Every page works without it; this only makes it easier.
(function () {
  "use strict";
  var persian = "۰۱۲۳۴۵۶۷۸۹";
  function digits(text, lang) {
    return lang === "fa" ? text.replace(/[0-9]/g, function (d) { return persian[+d]; }) : text;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Countdowns: the server renders the same text; this keeps it ticking.
  function renderCountdown(el) {
    var left = Math.floor((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
    if (left <= 0) { el.textContent = el.dataset.ended; return false; }
    var days = Math.floor(left / 86400);
    var clock = pad(Math.floor(left % 86400 / 3600)) + ":" + pad(Math.floor(left % 3600 / 60)) + ":" + pad(left % 60);
    var label = days ? (days === 1 ? el.dataset.dayOne : el.dataset.dayMany).replace("%d", days) + " " : "";
    el.textContent = digits(label + clock, el.dataset.lang);
    return true;
  }
  function tick() {
    var running = false;
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      running = renderCountdown(el) || running;
    });
    if (running) { setTimeout(tick, 1000); }
  }

  // Province and county: show only the counties of the chosen province.
  function linkPlaces(box) {
    var province = box.querySelector(".js-province select, select.js-province");
    var county = box.querySelector(".js-county select, select.js-county");
    if (!province || !county) { return; }
    function filter() {
      county.querySelectorAll("option[data-province]").forEach(function (option) {
        var hidden = province.value !== "" && option.dataset.province !== province.value;
        option.hidden = hidden;
        option.disabled = hidden;
      });
      county.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      var chosen = county.selectedOptions[0];
      if (chosen && chosen.disabled) { county.value = ""; }
    }
    province.addEventListener("change", filter);
    filter();
  }

  // Table rows that can be added and removed (indicators, actions).
  function renumber(row, index) {
    row.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/^(\w+)-\d+-/, "$1-" + index + "-")); }
      });
    });
  }
  function linkRows(table) {
    var body = table.tBodies[0];
    var button = document.querySelector("[data-add-row='" + table.dataset.rows + "']");
    var next = body.rows.length;
    // The buttons work only here: hidden until now.
    body.querySelectorAll("[data-remove-row]").forEach(function (remove) { remove.hidden = false; });
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var row = body.rows[body.rows.length - 1].cloneNode(true);
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        row.querySelectorAll(".field__error").forEach(function (el) { el.remove(); });
        renumber(row, next++);
        body.appendChild(row);
        row.querySelector("input").focus();
      });
    }
    body.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-row]");
      if (!remove) { return; }
      var row = remove.closest("tr");
      if (body.rows.length > 1) { row.remove(); } else { row.querySelectorAll("input").forEach(function (i) { i.value = ""; }); }
    });
  }

  // A small rich-text editor over a textarea; the server sanitises whatever arrives.
  function linkEditor(box) {
    var source = box.querySelector("textarea");
    var area = document.createElement("div");
    area.className = "editor__area field__input";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-label", box.querySelector("label").textContent);
    // The textarea holds the words as plain text (for a browser without JavaScript), data-html the HTML.
    area.innerHTML = "html" in source.dataset ? source.dataset.html : source.value;
    // The toolbar comes with the page, its labels in the page's language; it shows once it works.
    var bar = box.querySelector(".editor__bar");
    bar.querySelectorAll("[data-command]").forEach(function (button) {
      button.addEventListener("click", function () { area.focus(); document.execCommand(button.dataset.command); });
    });
    bar.hidden = false;
    source.hidden = true;
    box.appendChild(area);
    source.form.addEventListener("submit", function () { source.value = area.innerHTML; });
  }

  // Scoring drafts are saved as the judge goes: a few seconds after the last change, in the background.
  function linkAutosave(form) {
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    function save() {
      var data = new FormData(form);
      data.set("action", "save");
      status.textContent = status.dataset.saving;
      // getAttribute: form.action would be the buttons named "action", not the address
      fetch(form.getAttribute("action") || window.location.href, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { status.textContent = response.ok ? status.dataset.saved : status.dataset.failed; })
        .catch(function () { status.textContent = status.dataset.failed; });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(save, 3000);
    });
    form.addEventListener("submit", function () { clearTimeout(timer); });
  }

  // A bulk issue's progress: read the job's state every two seconds and show it in place (counts, state,
  // message, the "Run again" button, the link to the documents); stop once the job has finished.
  function followJob(box) {
    var lang = document.documentElement.lang;
    var bar = box.querySelector("progress");
    var page = box.closest("section") || document;
    function reveal(selector, shown) {
      page.querySelectorAll(selector).forEach(function (el) { el.hidden = !shown; });
    }
    function show(state) {
      bar.max = state.total || 1;
      bar.value = state.done + state.failed;
      ["done", "total", "failed"].forEach(function (name) {
        box.querySelector("[data-field=" + name + "]").textContent = digits(String(state[name]), lang);
      });
      var left = state.seconds_left;
      box.querySelector("[data-field=seconds_left]").textContent = left == null ? "—" :
        digits(pad(Math.floor(left / 3600)) + ":" + pad(Math.floor(left % 3600 / 60)) + ":" + pad(left % 60), lang);
      box.dataset.status = state.status;
      box.querySelector("[data-status-label]").textContent = state.status_label;
      var message = page.querySelector("[data-field=message]");
      if (message) { message.textContent = state.message; }
      reveal("[data-when-message]", !!state.message);
      reveal("[data-when-queue-unavailable]", state.queue_unavailable);
      reveal("[data-when-may-run-again]", state.may_run_again);
      reveal("[data-when-done]", state.status === "done");
    }
    function poll() {
      fetch(box.dataset.progress, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          show(state);
          if (!state.finished) { setTimeout(poll, state.status === "running" ? 2000 : 5000); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    if (box.dataset.status !== "done" && box.dataset.status !== "failed") { setTimeout(poll, 1000); }
  }

  // The top bar's menu: open on a wide screen, where its links fit in the bar (folded on a phone).
  function linkMenu(menu) {
    var wide = window.matchMedia("(min-width: 48rem)");
    function fit() { menu.open = wide.matches; }
    wide.addEventListener("change", fit);
    fit();
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    document.querySelectorAll("[data-menu]").forEach(linkMenu);
    document.querySelectorAll("[data-places]").forEach(linkPlaces);
    document.querySelectorAll("table[data-rows]").forEach(linkRows);
    document.querySelectorAll("[data-editor]").forEach(linkEditor);
    document.querySelectorAll("form[data-autosave]").forEach(linkAutosave);
    document.querySelectorAll("[data-progress]").forEach(followJob);
  });
})();
