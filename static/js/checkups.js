// The check-up form: a live "answered" count and a guard against leaving with unsaved answers.
// Progressive enhancement only: the form works the same without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("checkup-form");
  if (!form) {
    return;
  }
  var counter = form.querySelector("[data-answered]");
  var dirty = false;

  function answered() {
    var names = {};
    form.querySelectorAll('input[type="radio"][name^="answer__"]:checked').forEach(function (input) {
      names[input.name] = true;
    });
    return Object.keys(names).length;
  }

  function update() {
    if (counter) {
      counter.textContent = String(answered());
    }
  }

  form.addEventListener("change", function () {
    dirty = true;
    update();
  });
  form.addEventListener("input", function () {
    dirty = true;
  });
  form.addEventListener("submit", function () {
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // After a refused submit, forms.js takes keyboard and screen-reader users to the list of what to fix.
  update();
})();
