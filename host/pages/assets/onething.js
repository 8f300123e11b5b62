// OneThing pages: a little progressive enhancement, our own code
// (Apache-2.0, as the project), no libraries. Every page works without
// it; with it, conditional fields follow their conditions, the form is
// checked as it is typed, materials upload as they are chosen, dialogs
// open, and the progress page follows the application's events.
"use strict";
(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function post(url, body, type, extra) {
    var headers = { "X-CSRF-Token": csrf };
    if (type) headers["Content-Type"] = type;
    Object.keys(extra || {}).forEach(function (k) { headers[k] = extra[k]; });
    return fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
  }

  // Dialogs: a button with data-opens="ID" opens it, data-closes closes it.
  document.querySelectorAll("[data-opens]").forEach(function (b) {
    b.addEventListener("click", function () {
      var d = document.getElementById(b.getAttribute("data-opens"));
      if (d && d.showModal) d.showModal();
    });
  });
  document.querySelectorAll("[data-closes]").forEach(function (b) {
    b.addEventListener("click", function () {
      var d = document.getElementById(b.getAttribute("data-closes"));
      if (d) d.close();
      var opener = document.querySelector('[data-opens="' + b.getAttribute("data-closes") + '"]');
      if (opener) opener.focus();
    });
  });

  var form = document.getElementById("one-form");
  if (form) enhanceForm(form);
  var progress = document.getElementById("progress");
  if (progress) follow(progress);

  function values(form) {
    var out = {};
    form.querySelectorAll(".field[data-key]").forEach(function (w) {
      var key = w.getAttribute("data-key");
      var checked = w.querySelector('input[type=radio]:checked');
      var input = w.querySelector("input:not([type=radio]), select");
      if (checked) out[key] = checked.value;
      else if (input) out[key] = input.value;
    });
    return out;
  }

  function materials(form) {
    var out = {};
    form.querySelectorAll('input[type=hidden][name^="material."]').forEach(function (h) {
      if (h.value) out[h.name.slice("material.".length)] = h.value;
    });
    return out;
  }

  function holds(c, vals) {
    var given = (vals[c.key] || "").trim();
    if (c.test === "present") return given !== "";
    if (c.test === "absent") return given === "";
    return given !== "" && c.values.indexOf(given) >= 0;
  }

  function applyConditions(form) {
    var vals = values(form);
    form.querySelectorAll(".field[data-when]").forEach(function (w) {
      var when = [];
      try { when = JSON.parse(w.getAttribute("data-when") || "[]"); } catch (e) { when = []; }
      var show = when.length === 0 || when.some(function (c) { return holds(c, vals); });
      w.hidden = !show;
      w.querySelectorAll("input, select, textarea").forEach(function (i) { i.disabled = !show; });
    });
  }

  function subjectId(p) {
    if (!p.subject) return null;
    if (p.subject.kind === "field") return "f-" + p.subject.name.split(".").join("-");
    if (p.subject.kind === "material") return "m-" + p.subject.name;
    return null;
  }

  function showProblems(form, answer) {
    var problems = answer.problems || [];
    form.querySelectorAll(".errors").forEach(function (e) { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".field.invalid").forEach(function (e) { e.classList.remove("invalid"); });
    var box = document.getElementById("notification");
    box.textContent = "";
    box.classList.toggle("has-problems", problems.length > 0);
    var h = document.createElement(problems.length ? "h2" : "p");
    h.textContent = problems.length
      ? box.getAttribute("data-title") + " (" + problems.length + ")"
      : box.getAttribute("data-ok");
    if (!problems.length) h.className = "ok";
    box.appendChild(h);
    var list = document.createElement("ul");
    list.className = "problems";
    problems.forEach(function (p) {
      var id = subjectId(p);
      var li = document.createElement("li");
      var target = id && document.getElementById(id);
      if (target) {
        var a = document.createElement("a");
        a.href = "#" + id;
        a.textContent = p.message;
        li.appendChild(a);
        var err = document.getElementById(id + "-err");
        if (err) {
          var ul = err.querySelector("ul") || err.appendChild(document.createElement("ul"));
          ul.className = "problems";
          var item = document.createElement("li");
          item.textContent = p.message;
          ul.appendChild(item);
          var wrap = err.closest(".field");
          if (wrap) wrap.classList.add("invalid");
          target.setAttribute("aria-invalid", "true");
        }
      } else {
        li.textContent = p.message;
      }
      list.appendChild(li);
    });
    if (problems.length) box.appendChild(list);
  }

  function enhanceForm(form) {
    var url = form.getAttribute("data-live-check");
    var box = document.getElementById("notification");
    var timer = null;
    var touched = false;
    var check = function () {
      if (!url) return;
      post(url, JSON.stringify({ values: values(form), materials: materials(form) }), "application/json")
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) { if (answer && touched) showProblems(form, answer); })
        .catch(function () { /* the buttons still check on the server */ });
    };
    var changed = function (ev) {
      applyConditions(form);
      if (ev && ev.target && ev.target.type === "file") return;
      touched = true;
      clearTimeout(timer);
      timer = setTimeout(check, 500);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    applyConditions(form);
    if (box && !box.getAttribute("data-title")) {
      box.setAttribute("data-title", form.getAttribute("data-problems-title") || "");
      box.setAttribute("data-ok", form.getAttribute("data-ok") || "");
    }
    form.querySelectorAll("input[type=file][data-upload]").forEach(function (input) {
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) return;
        var state = document.getElementById(input.id + "-state");
        var stored = document.getElementById(input.id + "-stored");
        state.textContent = "…";
        post(input.getAttribute("data-upload"), file, file.type || "application/octet-stream",
             { "X-File-Name": encodeURIComponent(file.name) })
          .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
          .then(function (a) {
            if (a.ok) {
              stored.value = a.body.carried;
              state.textContent = (state.getAttribute("data-stored") || "✓") + " " + file.name + " (" + a.body.size + " B)";
              input.value = "";
              touched = true;
              check();
            } else {
              state.textContent = a.body.detail || "upload refused";
            }
          })
          .catch(function () { state.textContent = "upload failed"; });
      });
    });
  }

  function follow(section) {
    if (section.getAttribute("data-final") === "yes" || !window.EventSource) return;
    var log = document.getElementById("live-log");
    var source = new EventSource(section.getAttribute("data-follow"));
    var refreshing = false;
    var again = false;
    var refresh = function () {
      if (refreshing) { again = true; return; }
      refreshing = true;
      fetch(section.getAttribute("data-refresh"), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("progress");
          if (fresh) {
            section.innerHTML = fresh.innerHTML;
            section.setAttribute("data-final", fresh.getAttribute("data-final"));
            if (fresh.getAttribute("data-final") === "yes") source.close();
          }
        })
        .finally(function () { refreshing = false; if (again) { again = false; refresh(); } });
    };
    ["submitted", "step-skipped", "attempt-started", "step-approved", "step-needs-more",
     "step-rejected", "attempt-failed", "retry-scheduled", "step-waiting",
     "sent-to-manual-queue", "form-corrected", "deadline-passed"].forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        try {
          var data = JSON.parse(ev.data);
          if (log) log.textContent = kind + (data.step ? " " + data.step : "");
        } catch (e) { /* the page refreshes all the same */ }
        refresh();
      });
    });
    source.addEventListener("shutdown", function () { source.close(); });
    source.onerror = function () {
      // The stream ends when the application is final: show where it stands.
      if (source.readyState === EventSource.CLOSED) refresh();
    };
  }
})();
