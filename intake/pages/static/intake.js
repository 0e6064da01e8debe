// Intake's own script. Every page works without it; it only adds two things:
// framing hints fetched while you type, and focus on the error summary when a page has one.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  var form = document.querySelector("[data-hints-form]");
  var region = document.getElementById("framing-hints");
  if (!form || !region || !window.fetch) { return; }
  var timer = null;
  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    fetch("/problems/hints", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { region.innerHTML = html; } })
      .catch(function () { /* the hints come with save and preview anyway */ });
  }
  form.querySelectorAll("[data-hints]").forEach(function (field) {
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    });
  });
})();
