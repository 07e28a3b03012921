{% load i18n %}// The patient portal's service worker (scope: the portal, {{ scope }}).
// - Static files: from the phone's copy first, else fetched and kept.
// - Pages: from the network; without a connection, the copy of the report pages the portal
//   keeps on the phone (static/js/patient-offline.js puts them in the cache while online).
// Nothing is sent from here: a report filled in offline is sent by the page when the
// connection returns.
"use strict";

var PAGES = "portal-pages-v2";
var STATIC = "portal-static-v1";
var STATIC_PREFIX = "{{ static_url|escapejs }}";
var SCOPE = "{{ scope|escapejs }}";
var OFFLINE_TEXT = "{% translate 'You are offline, and this page is not kept on your phone. Your report pages work offline: open them from My page.'|escapejs %}";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            return name.indexOf("portal-") === 0 && name !== PAGES && name !== STATIC;
          })
          .map(function (name) {
            return caches.delete(name);
          })
      );
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function fromStaticCache(request) {
  return caches.open(STATIC).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (kept) {
      if (kept) {
        return kept;
      }
      return fetch(request).then(function (response) {
        if (response.ok) {
          cache.put(request, response.clone());
        }
        return response;
      });
    });
  });
}

function pageOrKeptCopy(request) {
  return fetch(request).catch(function () {
    var url = new URL(request.url);
    return caches.open(PAGES).then(function (cache) {
      return cache.match(url.origin + url.pathname, { ignoreVary: true, ignoreSearch: true });
    }).then(function (kept) {
      return kept || new Response(OFFLINE_TEXT, {
        status: 503,
        headers: { "Content-Type": "text/plain; charset=utf-8" }
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(fromStaticCache(request));
  } else if (request.mode === "navigate" && url.pathname.indexOf(SCOPE) === 0) {
    event.respondWith(pageOrKeptCopy(request));
  }
});
