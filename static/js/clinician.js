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
    enhanceTermPickers(row);
    var first = row.querySelector("select, input, textarea");
    if (first) {
      first.focus();
    }
  }

  // Adverse-event term pickers: a search box above the menu keeps the terms whose English or
  // French names contain what was typed, without regard to accents or case ("fiè", "feb" →
  // Fever), and chooses the first of them, so its CTCAE grade definitions load (htmx, on change).
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhanceTermPicker(select) {
    if (select.dataset.termPickerReady || select.closest("template")) {
      return;
    }
    select.dataset.termPickerReady = "1";
    var index = {};
    try {
      index = JSON.parse(select.dataset.termSearch || "{}");
    } catch (error) {
      return;
    }
    var search = document.createElement("input");
    search.type = "search";
    search.className = "form-control form-control-sm mb-1 term-search";
    search.id = select.id + "-search";
    search.autocomplete = "off";
    search.setAttribute("aria-label", select.dataset.searchLabel || "");
    search.placeholder = select.dataset.searchLabel || "";
    search.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(search, select);
    search.addEventListener("input", function () {
      var query = fold(search.value.trim());
      var best = null;
      var bestRank = 3;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) {
          return;
        }
        // 0: a name of the term starts with the query; 1: a name contains it; 2: no match.
        var rank = query ? 2 : 0;
        [option.text].concat(index[option.value] || []).forEach(function (name) {
          var at = fold(name).indexOf(query);
          if (at === 0) {
            rank = 0;
          } else if (at > 0 && rank > 1) {
            rank = 1;
          }
        });
        option.hidden = rank === 2;
        if (rank < bestRank) {
          best = option;
          bestRank = rank;
        }
      });
      if (query && best && bestRank < 2 && select.value !== best.value) {
        select.value = best.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    // Enter in the search box picks the term; it does not submit the visit.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  function enhanceTermPickers(root) {
    root.querySelectorAll("select[data-term-picker]").forEach(enhanceTermPicker);
  }

  enhanceTermPickers(document);

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
