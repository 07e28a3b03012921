"""HTTP caching of the files drawn from one course (the PDF, the charts): an ETag made of the
course's version, so that a client holding the current file gets 304 Not Modified.

`Cache-Control: private` (NoStoreMiddleware adds no-store to every answer: a shared computer's
browser keeps no patient file), so the ETag serves the clients that keep the file themselves
(an API client, a script syncing PDFs) and asks again each time: the scoped lookup (404 outside
the user's scope) runs on every request. Compute the ETag only after that lookup: a 304 must
never tell anyone that a course they may not read exists or has changed.
"""

import hashlib

from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag


def etag_of(*parts) -> str:
    return quote_etag(hashlib.sha256(repr(parts).encode()).hexdigest()[:40])


def not_modified(request, etag):
    """The 304 answer when the request's If-None-Match holds `etag`, else None."""
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        revalidated(response, etag)
    return response


def revalidated(response, etag):
    """Mark `response` as kept by the user's browser only, asked again each time."""
    response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    return response
