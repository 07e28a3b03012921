// The sign-in page: nobody is signed in here, so no copy of a patient's portal pages stays on
// this phone or computer (static/js/patient-offline.js keeps them while a patient is signed in,
// and removes them on sign-out when it can). A report kept to send offline is not a page copy
// and stays until it is sent.
(function () {
  "use strict";
  if (!("caches" in window)) {
    return;
  }
  caches
    .keys()
    .then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            return name.indexOf("portal-pages-") === 0;
          })
          .map(function (name) {
            return caches.delete(name);
          })
      );
    })
    .then(function () {
      document.documentElement.setAttribute("data-portal-copy-removed", "true");
    })
    .catch(function () {});
})();
