// Reply templates (常用答复): picking one fills the note, which staff can then edit.
(function () {
  "use strict";
  var data = document.getElementById("reply-template-texts");
  var select = document.querySelector("select[data-reply-templates]");
  var note = document.querySelector("textarea[name=note]");
  if (!data || !select || !note) return;
  var texts = JSON.parse(data.textContent);
  select.addEventListener("change", function () {
    if (texts[select.value]) note.value = texts[select.value];
  });
})();
