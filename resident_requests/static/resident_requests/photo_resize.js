// Phone photos are 5–15 MB: as soon as they are chosen, each one is scaled down in the browser
// (longest side 2,000 px, JPEG at 0.85) so that the form is small and quick to send on a phone.
// The server still checks and re-encodes every photo and keeps its own 10 MB limit. Whatever goes
// wrong here (an old browser, a format it cannot draw), the original photo is sent instead, and
// sending the form is never blocked for long.
(function () {
  "use strict";
  var MAX_SIDE = 2000;
  var QUALITY = 0.85;
  var KEEP_BELOW = 1024 * 1024; // a photo under 1 MB that is already small enough is sent as is
  var WAIT_AT_MOST = 20000; // ms: after that, the form is sent with whatever is ready

  function decode(file) {
    // imageOrientation "from-image": the EXIF rotation is applied, so the copy stays upright
    // once the EXIF is gone.
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" })
        .catch(function () { return createImageBitmap(file); })
        .then(function (bitmap) {
          return { source: bitmap, width: bitmap.width, height: bitmap.height, done: function () { if (bitmap.close) bitmap.close(); } };
        });
    }
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        resolve({ source: img, width: img.naturalWidth, height: img.naturalHeight, done: function () { URL.revokeObjectURL(url); } });
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      img.src = url;
    });
  }

  function shrink(file) {
    if (!/^image\//.test(file.type || "")) return Promise.resolve(file);
    return decode(file).then(function (image) {
      var scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
      if (scale === 1 && file.size < KEEP_BELOW) { image.done(); return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(image.width * scale));
      canvas.height = Math.max(1, Math.round(image.height * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // transparent parts become white, as on the server
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(image.source, 0, 0, canvas.width, canvas.height);
      image.done();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          canvas.width = canvas.height = 0; // frees the pixels at once on phones
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  function setup(input) {
    var status = document.createElement("p");
    status.className = "helptext photo-status";
    status.setAttribute("aria-live", "polite");
    status.hidden = true;
    input.insertAdjacentElement("afterend", status);
    var form = input.form;
    var pending = null;
    var round = 0;

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length || typeof DataTransfer === "undefined") { pending = null; status.hidden = true; return; }
      var mine = ++round;
      status.textContent = input.dataset.busyText;
      status.hidden = false;
      pending = Promise.all(files.map(shrink)).then(function (smaller) {
        if (mine !== round) return; // another choice was made meanwhile
        try {
          var transfer = new DataTransfer();
          smaller.forEach(function (f) { transfer.items.add(f); });
          input.files = transfer.files; // setting files fires no "change": no loop
          input.dataset.resized = String(smaller.filter(function (f, i) { return f !== files[i]; }).length);
        } catch (e) { /* the originals stay chosen */ }
        status.textContent = input.dataset.doneText;
      }).catch(function () { status.hidden = true; }).then(function () {
        if (mine === round) pending = null;
      });
    });

    if (!form) return;
    var sending = false;
    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; } // a second tap while waiting
      if (!pending) return;
      // Photos still being compressed: wait for them (at most WAIT_AT_MOST), then send.
      event.preventDefault();
      sending = true;
      var submitter = event.submitter;
      var timeout = new Promise(function (resolve) { setTimeout(resolve, WAIT_AT_MOST); });
      Promise.race([pending, timeout]).then(function () {
        pending = null;
        if (submitter && submitter.name) {
          var hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value;
          form.appendChild(hidden);
        }
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  document.querySelectorAll("input[type=file][data-photo-resize]").forEach(setup);
})();
