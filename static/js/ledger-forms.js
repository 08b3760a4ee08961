// Ledger forms. Forms marked data-once submit once: the submit buttons are disabled on the first
// submit (the server also refuses to post a form's one-time token twice). When the page comes
// back from the back/forward cache the buttons are enabled again: a resubmit then reaches the
// server, which shows what the first submit posted instead of posting again.
// A form's one-time token is also remembered (sessionStorage) when it is submitted: coming back
// to the form through the history re-fetches the page on some browsers, with a fresh token; the
// remembered one is put back, so a resubmit still lands on the first posting.
// data-confirm asks before submitting. Signal forms show the fields of the chosen kind.
(function () {
  function tokenKey(form) { return "ledger-token:" + (form.getAttribute("action") || location.pathname); }
  function remember(form) {
    var token = form.querySelector("input[name=token]");
    try { if (token) sessionStorage.setItem(tokenKey(form), token.value); } catch (e) { /* storage off */ }
  }
  function restoreTokens() {
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (!nav || nav.type !== "back_forward") return;
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      var token = form.querySelector("input[name=token]");
      var saved = null;
      try { saved = sessionStorage.getItem(tokenKey(form)); } catch (e) { /* storage off */ }
      if (token && saved) token.value = saved;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restoreTokens);
  else restoreTokens();

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    remember(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
      b.disabled = true;
      b.dataset.label = b.dataset.label || b.textContent;
      if (b.dataset.busy) b.textContent = b.dataset.busy;
    });
  }, true);

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.submitted;
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = false;
        if (b.dataset.label) b.textContent = b.dataset.label;
      });
    });
  });

  // signal forms: show only the fields of the chosen kind (data-kinds="rating co_creation")
  function toggleKinds() {
    var form = document.querySelector("form[data-signal-form]");
    if (!form) return;
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "";
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.dataset.kinds.split(" ").indexOf(kind) === -1;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "kind" && event.target.closest("form[data-signal-form]")) toggleKinds();
  });
  document.addEventListener("DOMContentLoaded", function () { toggleKinds(); });
  document.addEventListener("htmx:afterSettle", function () { toggleKinds(); });
})();

// The log form asks for a confirmation of a large amount: the box "I confirm this large amount"
// shows once the amount typed reaches the threshold of its currency (data-large-amounts, from
// LEDGER_LARGE_AMOUNT); the server refuses a large amount that is not confirmed either way.
(function () {
  function toggleLarge() {
    var box = document.querySelector("[data-large-confirm]");
    var amount = document.getElementById("id_amount");
    if (!box || !amount) return;
    var thresholds = {};
    try { thresholds = JSON.parse(box.dataset.largeAmounts || "{}"); } catch (e) { return; }
    var currencyInput = document.getElementById("id_currency");
    var currency = currencyInput ? currencyInput.value.trim().toUpperCase() : "";
    var limit = Number(thresholds[currency] || thresholds["*"]);
    var text = amount.value.trim();
    var large = /^[0-9]+(\.[0-9]+)?$/.test(text) && Number(text) >= limit;
    var tick = box.querySelector("input[type=checkbox]");
    if (large || (tick && tick.checked) || box.querySelector(".invalid-feedback")) box.hidden = false;
    else box.hidden = true;
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "id_amount" || event.target.id === "id_currency") toggleLarge();
  });
  document.addEventListener("DOMContentLoaded", toggleLarge);
  document.addEventListener("htmx:afterSettle", toggleLarge);
})();

// The log form offers only the chosen solution's categories: the category select carries each
// solution's category codes (data-solution-categories) and every category (data-all-categories);
// choosing a solution keeps the categories it bundles (all of them without a solution, or for a
// solution that bundles none). The server offers the same after a reload and refuses any other.
(function () {
  function parse(text, fallback) {
    try { return JSON.parse(text || ""); } catch (e) { return fallback; }
  }
  function filterCategories() {
    var solution = document.getElementById("id_solution");
    var category = document.getElementById("id_category");
    if (!solution || !category || !category.dataset.allCategories) return;
    var bundles = parse(category.dataset.solutionCategories, {});
    var every = parse(category.dataset.allCategories, []);
    var allowed = bundles[solution.value] || [];
    var chosen = category.value;
    while (category.options.length) category.remove(0);
    category.add(new Option("—", ""));
    every.forEach(function (pair) {
      if (allowed.length && allowed.indexOf(pair[0]) === -1) return;
      category.add(new Option(pair[1], pair[0], false, pair[0] === chosen));
    });
    if (category.value !== chosen) category.value = "";
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_solution") filterCategories();
  });
})();
