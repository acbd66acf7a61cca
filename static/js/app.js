// Behaviour shared by every page, kept out of the markup: the Content Security Policy allows no inline script.
(function () {
  "use strict";
  // <select data-autosubmit>: choosing an option submits its form (language, scheme, month, year, branch).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  // Rows marked data-anchor="code" are highlighted when the address names them (#code), as the form links them.
  function highlightAnchor() {
    var anchor = decodeURIComponent(location.hash.slice(1));
    if (!anchor) return;
    var rows = document.querySelectorAll("[data-anchor]");
    var first = null;
    rows.forEach(function (row) {
      if (row.getAttribute("data-anchor") === anchor) {
        row.classList.add("table-warning");
        first = first || row;
      }
    });
    if (first) first.scrollIntoView();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", highlightAnchor);
  else highlightAnchor();
})();
