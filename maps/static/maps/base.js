// Behaviour shared by every page, kept out of the HTML so that the
// Content-Security-Policy can forbid inline scripts and event handlers.
(function () {
  "use strict";
  // The language menu changes language as soon as a language is chosen.
  for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
    select.addEventListener("change", () => select.form.submit());
  }
})();
