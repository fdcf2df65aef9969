// Enhancements only: every page works without this script.
(function () {
  'use strict';
  // A Copy button next to the API URL, when the clipboard is there.
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-copy'));
    if (!input || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = 'Copied';
        setTimeout(function () { button.textContent = 'Copy'; }, 2000);
      });
    });
  });
  // Selecting the read-only URL selects all of it.
  document.querySelectorAll('input[readonly]').forEach(function (input) {
    input.addEventListener('focus', function () { input.select(); });
  });
})();
