/* The summary's print button: the browser's print dialog (print or save as PDF). */
(function () {
  "use strict";
  var button = document.getElementById("print-summary");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
})();
