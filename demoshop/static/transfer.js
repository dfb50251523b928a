// Demo shop: submits the OCI cart form as soon as the page has loaded, so
// the buyer is back in the procurement system without a second click. The
// form's visible button does the same where scripts do not run.
(function () {
  'use strict';
  var form = document.querySelector('form[data-autosubmit]');
  if (form) {
    form.submit();
  }
})();
