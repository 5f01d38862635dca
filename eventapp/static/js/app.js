// Keeps countdowns ticking. Everything works without it: the server renders the same text.
(function () {
  "use strict";
  var persian = "۰۱۲۳۴۵۶۷۸۹";
  function digits(text, lang) {
    return lang === "fa" ? text.replace(/[0-9]/g, function (d) { return persian[+d]; }) : text;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function render(el) {
    var left = Math.floor((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
    if (left <= 0) { el.textContent = el.dataset.ended; return false; }
    var days = Math.floor(left / 86400);
    var clock = pad(Math.floor(left % 86400 / 3600)) + ":" + pad(Math.floor(left % 3600 / 60)) + ":" + pad(left % 60);
    var label = days ? (days === 1 ? el.dataset.dayOne : el.dataset.dayMany).replace("%d", days) + " " : "";
    el.textContent = digits(label + clock, el.dataset.lang);
    return true;
  }
  function tick() {
    var live = document.querySelectorAll(".countdown[data-deadline]");
    var running = false;
    live.forEach(function (el) { running = render(el) || running; });
    if (running) { setTimeout(tick, 1000); }
  }
  document.addEventListener("DOMContentLoaded", tick);
})();
