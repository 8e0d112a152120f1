// The link page's copy button: copies the link and says so. Without JavaScript the
// button stays hidden and the link box is there to select.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var box = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!box) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { if (status) status.textContent = button.dataset.copied; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(done, function () {
          box.select();
          if (status) status.textContent = button.dataset.failed;
        });
      } else {
        box.select();
        if (document.execCommand("copy")) done();
      }
    });
  });
})();
