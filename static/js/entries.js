// Data entry pages: Enter moves to the next field instead of submitting, a confirmation before
// irreversible buttons, and a warning before leaving a form with unsaved changes.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    // While a Chinese input method is composing, Enter confirms the composition: leave it alone.
    if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return;
    var field = event.target;
    if (!(field instanceof HTMLInputElement) || !field.form || !field.form.hasAttribute("data-enter-moves")) return;
    if (field.type === "submit" || field.type === "button" || field.type === "checkbox") return;
    event.preventDefault();
    var fields = Array.prototype.filter.call(
      field.form.querySelectorAll("input:not([type=hidden]):not([readonly]):not([disabled]), textarea, select"),
      function (el) { return el.offsetParent !== null; }
    );
    var next = fields[fields.indexOf(field) + 1];
    if (next) {
      next.focus();
      if (next.select) next.select();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });

  var form = document.querySelector("form[data-entry-form]");
  if (form && !form.querySelector("input[readonly].num-input")) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }
})();
