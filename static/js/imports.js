// Import page: show upload progress for large files, then a busy indicator while the
// server checks or imports the rows. Without JavaScript the forms post normally.
(function () {
  "use strict";

  function showProgress(form) {
    var box = form.querySelector("#import-progress");
    if (box) {
      box.hidden = false;
    }
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    return box;
  }

  var upload = document.getElementById("import-form");
  if (upload && window.FormData && window.XMLHttpRequest) {
    upload.addEventListener("submit", function (event) {
      event.preventDefault();
      var box = showProgress(upload);
      var bar = box.querySelector("progress");
      var status = box.querySelector("[data-status]");
      var request = new XMLHttpRequest();
      request.open("POST", upload.action);
      request.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) {
          var percent = Math.round((100 * progress.loaded) / progress.total);
          bar.value = percent;
          status.textContent = "Uploading… " + percent + "%";
        }
      });
      request.upload.addEventListener("load", function () {
        bar.removeAttribute("value");
        status.textContent = "Uploaded. Checking every row…";
      });
      request.addEventListener("load", function () {
        // The answer is the preview page (or the form with its errors): show it.
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener("error", function () {
        status.textContent = "The upload failed; check the connection and try again.";
        upload.querySelector("button[type=submit]").disabled = false;
      });
      request.send(new FormData(upload));
    });
  }

  var confirmForm = document.getElementById("import-confirm");
  if (confirmForm) {
    confirmForm.addEventListener("submit", function () {
      showProgress(confirmForm);
    });
  }
})();
