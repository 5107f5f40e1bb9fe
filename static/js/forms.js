// A refused form keeps its place: focus (and with it the screen) moves to its error summary, which
// names every problem and links to its field. Without JavaScript the form's action carries an anchor
// (#interaction-form, ...) that scrolls to the same place.
(function () {
  "use strict";
  function toSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus({ preventScroll: true });
    // The form's top (its heading, then the summary), at once: Bootstrap makes scrolling smooth, and a
    // smooth scroll would still be moving while the user starts to read.
    (summary.closest("form") || summary).scrollIntoView({ block: "start", behavior: "instant" });
  }
  // After "load": the page's charts are drawn by then, and the boxes they open above the form no
  // longer move it after the scroll.
  if (document.readyState === "complete") {
    toSummary();
  } else {
    window.addEventListener("load", toSummary);
  }
})();
