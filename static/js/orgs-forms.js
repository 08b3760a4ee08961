// Forms marked data-once submit once: the submit buttons are disabled on the first submit
// (the server refuses a repeated transition anyway). data-confirm asks before submitting.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    // keep the clicked button's name/value (e.g. accept/dismiss) before disabling
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
  }, true);
})();
