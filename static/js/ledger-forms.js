// Ledger forms. Forms marked data-once submit once: the submit buttons are disabled on the first
// submit (the server also refuses to post a form's one-time token twice). When the page comes
// back from the back/forward cache the buttons are enabled again: a resubmit then reaches the
// server, which shows what the first submit posted instead of posting again.
// data-confirm asks before submitting. Signal forms show the fields of the chosen kind.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
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
  function toggleKinds(root) {
    var form = root.querySelector ? root.querySelector("form[data-signal-form]") || (root.matches && root.matches("form[data-signal-form]") ? root : null) : null;
    form = form || document.querySelector("form[data-signal-form]");
    if (!form) return;
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "";
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.dataset.kinds.split(" ").indexOf(kind) === -1;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "kind" && event.target.closest("form[data-signal-form]")) toggleKinds(document);
  });
  document.addEventListener("DOMContentLoaded", function () { toggleKinds(document); });
  document.addEventListener("htmx:afterSettle", function () { toggleKinds(document); });
})();
