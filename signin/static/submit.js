// Sign-in pages' one script (the CSP allows no inline script). It submits
// the form marked data-autosubmit once the page has loaded: the hand-off
// to the shop, and the login link's page only where the service lets links
// submit themselves. Without it nothing is submitted: a scanner that runs
// the login link's page burns nothing. It also keeps a form from being
// sent twice, so a double click cannot spend a one-time link on a second
// request whose "already used" answer would replace the first's.
(function () {
  'use strict';

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = '1';
  }, true);

  // A page restored from the back-forward cache may be sent again.
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return;
    document.querySelectorAll('form[data-sent]').forEach(function (form) {
      delete form.dataset.sent;
    });
  });

  var auto = document.querySelector('form[data-autosubmit]');
  if (auto && !auto.dataset.sent) {
    auto.dataset.sent = '1';
    HTMLFormElement.prototype.submit.call(auto);
  }
})();
