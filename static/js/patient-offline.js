// The report flow without a connection, on the patient's phone.
//
// - While online, the report pages and the static files are kept on the phone (the service
//   worker at the portal's root answers from them when the connection is gone).
// - While offline, each step's answers are kept on the phone (localStorage) instead of being
//   posted, and the next step opens from the phone's copy. Urgent guidance is given at once
//   from the same thresholds as the server's rules (shipped in the page, #offline-config).
// - "Send" (on the last step, the measurements, with the kept answers summed up above it)
//   while offline keeps the report to send, with a sending key (a UUID), and the banner
//   (role=status) says it is not sent yet. When the connection returns, the steps are posted
//   as the patient would have posted them, the last one with "Send" and the key: the server
//   records the report once, however many times it is sent. The banner says "sent" only when
//   the server answered with the report.
(function () {
  "use strict";

  var configElement = document.getElementById("offline-config");
  if (!configElement) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var M = config.messages;
  var PAGES = "portal-pages-v2"; // v2: three steps, "Send" on the last one
  var STATIC = "portal-static-v1";
  var KEY = "portal-offline-report:";
  var ATTRIBUTES = ["frequency", "severity", "interference"];
  var STEP_PATH = /\/courses\/([0-9a-f-]{36})\/report\/(?:(questions|measurements|review)\/)?$/;
  var REPORT_PATH = /\/reports\/[0-9a-f-]{36}\/$/;

  var banner = document.getElementById("offline-banner");
  var guidance = document.getElementById("offline-guidance");
  var where = window.location.pathname.match(STEP_PATH);
  var courseId = where ? where[1] : null;
  var step = where ? where[2] || "symptoms" : null;

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) {
      return values[name];
    });
  }

  function courseOf(id) {
    for (var i = 0; i < config.courses.length; i++) {
      if (config.courses[i].id === id) {
        return config.courses[i];
      }
    }
    // A course this page does not show: its step addresses, without its phone numbers.
    var any = config.any_course;
    var urls = {};
    Object.keys(any.urls).forEach(function (name) {
      urls[name] = any.urls[name].replace(any.id, id);
    });
    return { id: id, urls: urls };
  }

  // --- What the phone keeps ---------------------------------------------------------------

  function load(id) {
    try {
      return JSON.parse(window.localStorage.getItem(KEY + id));
    } catch (error) {
      return null;
    }
  }

  function store(id, report) {
    window.localStorage.setItem(KEY + id, JSON.stringify(report));
  }

  function forget(id) {
    window.localStorage.removeItem(KEY + id);
  }

  function keptIds() {
    var ids = [];
    for (var i = 0; i < window.localStorage.length; i++) {
      var name = window.localStorage.key(i);
      if (name && name.indexOf(KEY) === 0) {
        ids.push(name.slice(KEY.length));
      }
    }
    return ids;
  }

  function fresh() {
    return { steps: {}, summary: {}, attributes: {}, state: "draft" };
  }

  // --- The banner ---------------------------------------------------------------------------

  function say(text, kind, link) {
    banner.textContent = "";
    banner.className = "offline-banner";
    if (!text) {
      return;
    }
    banner.className = "offline-banner alert alert-" + (kind || "warning");
    var words = document.createElement("span");
    words.textContent = text;
    banner.appendChild(words);
    if (link) {
      var anchor = document.createElement("a");
      anchor.className = "alert-link ms-1";
      anchor.href = link.href;
      anchor.textContent = link.text;
      banner.appendChild(document.createTextNode(" "));
      banner.appendChild(anchor);
    }
  }

  function anyQueued() {
    return keptIds().some(function (id) {
      var report = load(id);
      return report && report.state === "queued";
    });
  }

  function sayWhereWeAre() {
    if (anyQueued()) {
      say(M.queued, "warning");
    } else if (!navigator.onLine && step) {
      say(M.offline, "info");
    } else if (banner.className.indexOf("alert-info") !== -1) {
      say("");
    }
  }

  // --- A step's answers -----------------------------------------------------------------------

  function fieldsOf(form) {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      // The page's own sending key is not the kept report's: the phone makes one per report.
      var skipped = ["csrfmiddlewaretoken", "action", "client_id"];
      if (skipped.indexOf(name) !== -1 || typeof value !== "string") {
        return;
      }
      (fields[name] = fields[name] || []).push(value);
    });
    return fields;
  }

  function restore(form, fields) {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || !(element.name in fields)) {
        return;
      }
      var values = fields[element.name];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = values.indexOf(element.value) !== -1;
      } else if (element.tagName !== "BUTTON") {
        element.value = values[0];
      }
    });
  }

  function colon() {
    return document.documentElement.lang === "fr" ? " : " : ": ";
  }

  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function visible(element) {
    return !element.disabled && !element.closest("[hidden]");
  }

  function summaryOf(form) {
    var lines = [];
    if (step === "symptoms") {
      form.querySelectorAll("input[name=symptoms]:checked").forEach(function (input) {
        lines.push(text(input.closest("label")));
      });
    } else if (step === "questions") {
      form.querySelectorAll("section.symptom-questions").forEach(function (section) {
        if (!visible(section)) {
          return;
        }
        var answers = [];
        section.querySelectorAll("fieldset.question").forEach(function (question) {
          var chosen = question.querySelector("input:checked");
          if (visible(question) && chosen) {
            answers.push(text(chosen.closest("label")));
          }
        });
        lines.push(text(section.querySelector("h2")) + colon() + answers.join(", "));
      });
    } else if (step === "measurements") {
      form.querySelectorAll("input").forEach(function (input) {
        if (input.type === "hidden" || !input.value.trim()) {
          return;
        }
        var group = input.closest("div[id^=div_]");
        var label = input.labels && input.labels.length ? input.labels[0] : null;
        label =
          text(label || (group && group.querySelector("label, legend")) || null) ||
          input.getAttribute("aria-label") ||
          input.name;
        var unit = input.parentElement.querySelector("select");
        var shown = label.replace(/\*$/, "").trim() + colon() + input.value.trim();
        if (unit) {
          shown += " " + text(unit.options[unit.selectedIndex]);
        }
        lines.push(shown);
      });
    }
    return lines;
  }

  function attributesOf(form) {
    var asked = {};
    form.querySelectorAll("section.symptom-questions").forEach(function (section) {
      var heading = section.querySelector("h2[id^=symptom-]");
      if (!heading) {
        return;
      }
      var slug = heading.id.slice("symptom-".length);
      asked[slug] = ATTRIBUTES.concat(["present"]).filter(function (name) {
        return section.querySelector("input[name='" + slug + "-" + name + "']") !== null;
      });
    });
    return asked;
  }

  function chosenSymptoms(report) {
    var symptoms = report.steps.symptoms || {};
    return report.none ? [] : symptoms.symptoms || [];
  }

  // --- Urgent guidance from the rules' thresholds ---------------------------------------------

  function number(values) {
    if (!values || !values[0] || !values[0].trim()) {
      return null;
    }
    var value = parseFloat(values[0].trim().replace(",", "."));
    return isNaN(value) ? null : value;
  }

  function assess(report) {
    var t = config.thresholds;
    var found = { emergency: false, urgent: false };
    var m = report.steps.measurements || {};
    var temperature = number(m.temperature_0);
    if (temperature !== null && (m.temperature_1 || ["C"])[0] === "F") {
      temperature = ((temperature - 32) * 5) / 9;
    }
    var spo2 = number(m.spo2);
    var systolic = number(m.systolic_bp);
    if (
      (temperature !== null && temperature > t.emergency.temperature_above_c) ||
      (spo2 !== null && spo2 < t.emergency.spo2_below_pct) ||
      (systolic !== null && systolic < t.emergency.systolic_bp_below_mmhg)
    ) {
      found.emergency = true;
    }
    var answers = report.steps.questions || {};
    // IL-6 blockers (tocilizumab, sarilumab): a fever is urgent, and an emergency with
    // breathlessness, confusion or dizziness at the rules' composite grade (or present).
    var il6 = t.il6_blocker && (courseOf(courseId) || {}).il6_blocker ? t.il6_blocker : null;
    if (il6 && temperature !== null && temperature >= il6.fever_at_or_above_c) {
      found.urgent = true;
    }
    var il6Fever = il6 && temperature !== null && temperature >= il6.emergency_fever_at_or_above_c;
    chosenSymptoms(report).forEach(function (slug) {
      var asked = report.attributes[slug] || [];
      var companion = il6Fever && il6.companion_terms.indexOf(slug) !== -1;
      if (asked.indexOf("present") !== -1) {
        var present = (answers[slug + "-present"] || [])[0] === "yes";
        if (present && (t.emergency.present_terms.indexOf(slug) !== -1 || companion)) {
          found.emergency = true;
        }
        return;
      }
      var scores = asked.map(function (name) {
        return (answers[slug + "-" + name] || [""])[0];
      });
      if (!scores.length || scores[0] === "" || scores[0] === "0" || scores.indexOf("") !== -1) {
        return; // none, or not all answered: the server grades it when it gets it
      }
      var answered = scores.join(",");
      var severe = (t.urgent_scores[asked.join(",")] || []).indexOf(answered) !== -1;
      var reaches = companion && (il6.companion_scores[asked.join(",")] || []).indexOf(answered) !== -1;
      if ((severe && t.emergency.composite_terms.indexOf(slug) !== -1) || reaches) {
        found.emergency = true;
      } else if (severe) {
        found.urgent = true;
      }
    });
    return found;
  }

  function callButton(label, phone, style) {
    var anchor = document.createElement("a");
    anchor.className = "btn btn-lg w-100 my-2 " + style;
    anchor.href = "tel:" + String(phone).replace(/\s+/g, "");
    anchor.textContent = label;
    return anchor;
  }

  var guidanceGiven = "";

  // Near what the patient just answered (near: a field), so that it is seen at once on a
  // phone; a new alert only when what it says changes.
  function showGuidance(report, near) {
    var found = navigator.onLine || !report ? {} : assess(report);
    var said = found.emergency ? "emergency" : found.urgent ? "urgent" : "";
    var group = near && near.closest("div[id^=div_], fieldset:not(.question), section");
    if (group && said) {
      group.parentNode.insertBefore(guidance, group.nextSibling);
    }
    if (said === guidanceGiven) {
      return;
    }
    guidanceGiven = said;
    guidance.textContent = "";
    if (!said) {
      return;
    }
    var course = courseOf(courseId) || {};
    var panel = document.createElement("section");
    panel.className = "alert alert-danger offline-urgent";
    panel.setAttribute("role", "alert");
    var heading = document.createElement("h2");
    heading.className = "h4";
    heading.textContent = found.emergency ? M.emergency_heading : M.urgent_heading;
    panel.appendChild(heading);
    var emergency = callButton(
      format(M.emergency_call, { number: config.emergency_number }),
      config.emergency_number,
      "btn-danger call-emergency"
    );
    var team = callButton(
      format(M.care_team_call, { number: course.phone }),
      course.phone,
      found.emergency ? "btn-outline-dark call-care-team" : "btn-danger call-care-team"
    );
    if (found.emergency) {
      panel.appendChild(emergency);
      panel.appendChild(team);
    } else {
      panel.appendChild(team);
    }
    if (course.out_of_hours_phone && course.out_of_hours_phone !== course.phone) {
      var closed = document.createElement("p");
      closed.className = "mb-2";
      var link = document.createElement("a");
      link.className = "alert-link";
      link.href = "tel:" + String(course.out_of_hours_phone).replace(/\s+/g, "");
      link.textContent = format(M.out_of_hours_call, { number: course.out_of_hours_phone });
      closed.appendChild(link);
      panel.appendChild(closed);
    }
    var note = document.createElement("p");
    note.className = "mb-0";
    note.textContent = M.not_reached;
    panel.appendChild(note);
    guidance.appendChild(panel);
  }

  // --- The steps while offline ---------------------------------------------------------------

  function reportForm() {
    return document.querySelector("main form[method=post]:not([action])");
  }

  function nextStep(report, action) {
    var chosen = chosenSymptoms(report).length > 0;
    if (step === "symptoms") {
      return chosen ? "questions" : "measurements";
    }
    if (step === "questions") {
      return action === "back" ? "symptoms" : "measurements";
    }
    if (step === "measurements" && action === "back") {
      return chosen ? "questions" : "symptoms";
    }
    return null;
  }

  function keepStep(form, action) {
    // A report already kept to send stays kept to send, with its sending key: changing an
    // answer offline changes what will be sent.
    var report = load(courseId) || fresh();
    report.steps[step] = fieldsOf(form);
    report.summary[step] = summaryOf(form);
    if (step === "symptoms") {
      report.none = action === "none";
      if (report.none) {
        report.steps.symptoms.symptoms = [];
        report.summary.symptoms = [];
      }
    }
    if (step === "questions") {
      var asked = attributesOf(form);
      Object.keys(asked).forEach(function (slug) {
        report.attributes[slug] = asked[slug];
      });
    }
    store(courseId, report);
    return report;
  }

  function showOnlyChosen(form, report) {
    var chosen = chosenSymptoms(report);
    form.querySelectorAll("section.symptom-questions").forEach(function (section) {
      var heading = section.querySelector("h2[id^=symptom-]");
      var slug = heading ? heading.id.slice("symptom-".length) : "";
      var shown = chosen.indexOf(slug) !== -1;
      section.hidden = !shown;
      section.querySelectorAll("fieldset").forEach(function (fieldset) {
        if (!shown) {
          fieldset.disabled = true;
        }
      });
    });
  }

  function listOf(lines, empty) {
    if (!lines || !lines.length) {
      var none = document.createElement("p");
      none.textContent = empty;
      return none;
    }
    var list = document.createElement("ul");
    list.className = "offline-answers";
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    return list;
  }

  function fillSection(labelledBy, lines, empty) {
    var section = document.querySelector("section[aria-labelledby=" + labelledBy + "]");
    if (!section) {
      return;
    }
    Array.prototype.slice.call(section.children, 1).forEach(function (child) {
      child.remove();
    });
    section.appendChild(listOf(lines, empty));
  }

  function showKeptReview(report) {
    // Each symptom with its answers when it was asked about, else its name; then the note.
    var symptoms = chosenSymptoms(report).length && report.summary.questions
      ? report.summary.questions.slice()
      : (report.summary.symptoms || []).slice();
    var note = ((report.steps.symptoms || {}).note || [""])[0].trim();
    if (note) {
      symptoms.push(note);
    }
    fillSection("review-symptoms", symptoms, M.no_symptoms);
    fillSection("review-measurements", report.summary.measurements, M.no_measurements);
  }

  function placeGuidance(form) {
    var buttons = form && form.querySelector(".step-buttons");
    if (buttons) {
      buttons.parentNode.insertBefore(guidance, buttons);
    } else if (form) {
      form.parentNode.insertBefore(guidance, form);
    }
  }

  function queued(form) {
    say(M.queued, "warning");
    if (form) {
      form.parentNode.insertBefore(guidance, form); // still seen once the form is put away
      form.hidden = true;
    }
    var discard = document.querySelector("main form[action$='/report/discard/']");
    if (discard) {
      discard.hidden = true;
    }
  }

  function setUpStep() {
    var form = reportForm();
    if (!form) {
      return;
    }
    placeGuidance(form);
    var report = load(courseId);
    if (!navigator.onLine && report) {
      if (report.steps[step]) {
        restore(form, report.steps[step]);
      }
      if (step === "questions") {
        showOnlyChosen(form, report);
      }
      if (step === "measurements") {
        showKeptReview(report);
        if (report.state === "queued") {
          queued(form);
        }
      }
      showGuidance(report);
    }
    var lastAction = null;
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[type=submit]");
      lastAction = button ? button.value || null : null;
    });
    form.addEventListener("change", function (event) {
      if (navigator.onLine) {
        return;
      }
      var draft = load(courseId) || fresh();
      draft.steps[step] = fieldsOf(form);
      if (step === "questions") {
        var asked = attributesOf(form);
        Object.keys(asked).forEach(function (slug) {
          draft.attributes[slug] = asked[slug];
        });
      }
      showGuidance(draft, event.target);
    });
    form.addEventListener("input", function (event) {
      if (!navigator.onLine && step === "measurements") {
        var draft = load(courseId) || fresh();
        draft.steps.measurements = fieldsOf(form);
        showGuidance(draft, event.target);
      }
    });
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) {
        return;
      }
      event.preventDefault();
      var course = courseOf(courseId);
      var action = (event.submitter && event.submitter.value) || lastAction || "next";
      if (step === "measurements" && action === "send") {
        var report = keepStep(form, action);
        if (!report.steps.symptoms) {
          window.location.href = course.urls.symptoms;
          return;
        }
        report.state = "queued";
        report.client_id = report.client_id || newKey();
        store(courseId, report);
        queued(form);
        showGuidance(report);
        return;
      }
      var kept = keepStep(form, action);
      window.location.href = course.urls[nextStep(kept, action)];
    });
    var discard = document.querySelector("main form[action$='/report/discard/']");
    if (discard) {
      discard.addEventListener("submit", function (event) {
        if (navigator.onLine) {
          forget(courseId);
          return;
        }
        event.preventDefault();
        forget(courseId);
        window.location.href = courseOf(courseId).urls.symptoms;
      });
    }
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- Sending when the connection returns ----------------------------------------------------

  function Problem(kind, at) {
    this.kind = kind;
    this.at = at;
  }

  function pathOf(url) {
    return new URL(url, window.location.href).pathname;
  }

  function checked(response, from) {
    if (!response.ok) {
      throw new Problem("failed");
    }
    if (pathOf(response.url) === pathOf(config.login)) {
      throw new Problem("sign_in", from);
    }
    if (pathOf(response.url) === pathOf(from)) {
      throw new Problem("check", from); // the server kept the page: an answer to correct
    }
    return response;
  }

  function post(url, fields, action, token) {
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", token);
    Object.keys(fields || {}).forEach(function (name) {
      fields[name].forEach(function (value) {
        body.append(name, value);
      });
    });
    if (action) {
      body.append("action", action);
    }
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token },
    });
  }

  function sendOne(id) {
    var report = load(id);
    var course = courseOf(id);
    if (!report || report.state !== "queued") {
      return Promise.resolve(); // sent meanwhile by another page
    }
    if (!course) {
      say(M.failed, "warning");
      return Promise.resolve();
    }
    var urls = course.urls;
    var token = null;
    say(M.sending, "info");
    return fetch(urls.symptoms, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (pathOf(response.url) === pathOf(config.login)) {
          throw new Problem("sign_in", urls.measurements);
        }
        if (!response.ok) {
          throw new Problem("failed");
        }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var field = page.querySelector("input[name=csrfmiddlewaretoken]");
        if (!field) {
          throw new Problem("failed");
        }
        token = field.value;
        var action = report.none ? "none" : "next";
        return post(urls.symptoms, report.steps.symptoms, action, token);
      })
      .then(function (response) {
        checked(response, urls.symptoms);
        if (!chosenSymptoms(report).length) {
          return null;
        }
        return post(urls.questions, report.steps.questions, "next", token).then(function (r) {
          return checked(r, urls.questions);
        });
      })
      .then(function () {
        var last = Object.assign({}, report.steps.measurements, {
          client_id: [report.client_id],
        });
        return post(urls.measurements, last, "send", token);
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Problem("failed");
        }
        if (pathOf(response.url) === pathOf(config.login)) {
          throw new Problem("sign_in", urls.measurements);
        }
        if (!REPORT_PATH.test(pathOf(response.url))) {
          throw new Problem("check", urls.measurements);
        }
        forget(id);
        say(M.sent, "success", { href: response.url, text: M.see_report });
      })
      .catch(function (problem) {
        if (problem instanceof Problem && problem.kind === "check") {
          // The server keeps the answers as a draft: the patient corrects and sends them there.
          forget(id);
          say(M.check, "warning", { href: problem.at, text: M.check_link });
        } else if (problem instanceof Problem && problem.kind === "sign_in") {
          say(M.sign_in, "warning", {
            href: config.login + "?next=" + encodeURIComponent(window.location.pathname),
            text: M.sign_in_link,
          });
        } else {
          say(M.queued, "warning"); // no connection after all: still kept, still not sent
        }
      });
  }

  function sendKept() {
    if (!navigator.onLine || !anyQueued()) {
      return;
    }
    var run = function () {
      return keptIds().reduce(function (done, id) {
        return done.then(function () {
          return sendOne(id);
        });
      }, Promise.resolve());
    };
    if (navigator.locks && navigator.locks.request) {
      navigator.locks.request("portal-report-outbox", { ifAvailable: true }, function (lock) {
        return lock ? run() : null; // another page of the portal is sending it
      });
    } else {
      run();
    }
  }

  // --- Keeping the pages on the phone ---------------------------------------------------------

  function keepPages() {
    if (!("caches" in window) || !navigator.onLine) {
      return Promise.resolve();
    }
    var pages = [[config.scope, config.scope]];
    config.courses.forEach(function (course) {
      var u = course.urls;
      pages.push([u.symptoms, u.symptoms]);
      pages.push([u.questions, u.questions_offline]);
      pages.push([u.measurements, u.measurements_offline]);
    });
    var assets = config.icons.concat(config.assets || []);
    document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=icon][href]")
      .forEach(function (element) {
        assets.push(element.getAttribute("src") || element.getAttribute("href"));
      });
    return caches
      .open(PAGES)
      .then(function (cache) {
        return Promise.all(
          pages.map(function (pair) {
            return fetch(pair[1], { credentials: "same-origin", cache: "no-store" }).then(
              function (response) {
                if (response.ok && !response.redirected) {
                  return cache.put(pair[0], response);
                }
                return null;
              }
            );
          })
        );
      })
      .then(function () {
        return caches.open(STATIC);
      })
      .then(function (cache) {
        return cache.addAll(
          assets.filter(function (url, index) {
            return url && assets.indexOf(url) === index;
          })
        );
      });
  }

  function controlled() {
    if (navigator.serviceWorker.controller) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
    });
  }

  function setUpWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) {
      return;
    }
    navigator.serviceWorker
      .register(config.service_worker, { scope: config.scope })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(controlled)
      .then(keepPages)
      .then(function () {
        document.documentElement.setAttribute("data-offline-ready", "true");
      })
      .catch(function () {
        // No copy on the phone: the pages still work online as before.
      });
  }

  // Signing out removes the copy of the pages from the phone (a report kept to send stays).
  // Signing out never waits on it for long: a phone busy writing the copy can take seconds to
  // delete it, so after SIGN_OUT_WAIT_MS the form is sent anyway, and the sign-in page removes
  // whatever is left (static/js/signed-out.js).
  var SIGN_OUT_WAIT_MS = 500;

  function setUpSignOut() {
    document.querySelectorAll("form[action='" + config.logout + "']").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!("caches" in window) || form.dataset.cleared) {
          return;
        }
        event.preventDefault();
        form.dataset.cleared = "true";
        var sent = false;
        function send() {
          if (!sent) {
            sent = true;
            form.submit();
          }
        }
        window.setTimeout(send, SIGN_OUT_WAIT_MS);
        Promise.resolve()
          .then(function () {
            return caches.delete(PAGES);
          })
          .catch(function () {})
          .then(send);
      });
    });
  }

  function init() {
    if (step) {
      setUpStep();
    }
    sayWhereWeAre();
    setUpSignOut();
    setUpWorker();
    window.addEventListener("online", function () {
      sayWhereWeAre();
      sendKept();
    });
    window.addEventListener("offline", function () {
      sayWhereWeAre();
      if (step) {
        showGuidance(load(courseId));
      }
    });
    sendKept();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
