// Clinician pages: small progressive enhancements. Loaded with <script src defer> (no inline
// script anywhere: a strict Content-Security-Policy is planned). Everything works without it.
(function () {
  "use strict";

  // Formsets: "Add a row" copies the formset's empty form from its <template>.
  function addRow(button) {
    var prefix = button.dataset.formsetAdd;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var template = document.getElementById(prefix + "-empty-form");
    var rows = document.getElementById(prefix + "-rows");
    if (!total || !template || !rows) {
      return;
    }
    var index = Number(total.value);
    if (max && index >= Number(max.value)) {
      button.disabled = true;
      return;
    }
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    var row = rows.lastElementChild;
    if (window.htmx) {
      window.htmx.process(row);
    }
    var first = row.querySelector("select, input, textarea");
    if (first) {
      first.focus();
    }
  }

  document.querySelectorAll("[data-formset-add]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      addRow(button);
    });
  });

  // After htmx swaps a flag row, keep the keyboard user where they were: on the row's message.
  document.body.addEventListener("htmx:afterSettle", function () {
    var message = document.querySelector("[data-focus-after-swap]");
    if (message) {
      message.removeAttribute("data-focus-after-swap");
      message.focus();
    }
  });
})();
