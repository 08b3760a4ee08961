// Site-wide behaviour, kept out of the templates (the Content-Security-Policy allows no inline
// script, style or event handler): a select marked data-autosubmit submits its form when changed
// (the language menu), and a progress bar takes its width from data-progress (a percent), on load
// and after every htmx swap (the import progress polls).
(function () {
  function sizeBars() {
    document.querySelectorAll("[data-progress]").forEach(function (bar) {
      var pct = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-progress")) || 0));
      bar.style.width = pct + "%";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
  document.addEventListener("htmx:afterSettle", sizeBars);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", sizeBars);
  else sizeBars();
})();
