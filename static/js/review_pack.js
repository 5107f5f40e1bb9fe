// The review pack's Print button: shown only when script runs (the browser's own Print works without it).
(function () {
  "use strict";
  var button = document.querySelector("[data-print-page]");
  if (!button) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
})();
