// "Something else?" on the first step: a search box over the rest of the symptoms, matching the
// English and the French wording whatever the accents or capitals ("etourdi" finds
// "Étourdissements", "breath" finds "Shortness of breath"). Without JavaScript the box stays
// hidden and the whole list is there to tick.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function init() {
    var box = document.querySelector(".symptom-search");
    var input = document.getElementById("symptom-search");
    var count = document.getElementById("symptom-search-count");
    var rows = Array.prototype.slice.call(document.querySelectorAll("#other-symptoms [data-search]"));
    if (!box || !input || !rows.length) {
      return;
    }
    rows.forEach(function (row) {
      row.dataset.folded = fold(row.dataset.search + " " + row.textContent);
    });
    box.hidden = false;

    function filter() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var checked = row.querySelector("input:checked") !== null;
        var match = words.every(function (word) {
          return row.dataset.folded.indexOf(word) !== -1;
        });
        // A ticked symptom stays in view, so that it can be unticked.
        row.classList.toggle("d-none", !(match || checked));
        if (match || checked) {
          shown += 1;
        }
      });
      count.textContent = !words.length
        ? ""
        : shown === 0
          ? count.dataset.none || ""
          : (count.dataset.some || "").replace("%s", shown);
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      // Enter in the search box searches; it does not send the step.
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
