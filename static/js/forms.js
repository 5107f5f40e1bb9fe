// A refused form keeps its place: focus (and with it the screen) moves to its error summary, which
// names every problem and links to its field. Without JavaScript the form's action carries an anchor
// (#interaction-form, ...) that scrolls to the same place.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus({ preventScroll: true });
  summary.scrollIntoView({ block: "start" });
})();
