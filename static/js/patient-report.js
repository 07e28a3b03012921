// PRO-CTCAE branching on the "Tell us more" step: when the first question of a symptom is
// answered "never" or "none" (score 0), its later questions are skipped. Without JavaScript
// they stay visible and the server ignores them; with it they are hidden (and not sent).
(function () {
  "use strict";

  function update(section) {
    var first = section.querySelector(".first-question");
    if (!first) {
      return;
    }
    var checked = first.querySelector("input[type=radio]:checked");
    var skip = checked !== null && checked.value === "0";
    section.querySelectorAll(".later-question").forEach(function (question) {
      question.hidden = skip;
      question.disabled = skip;
    });
  }

  function init() {
    document.querySelectorAll(".symptom-questions").forEach(function (section) {
      update(section);
      section.addEventListener("change", function (event) {
        if (event.target.closest(".first-question")) {
          update(section);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
