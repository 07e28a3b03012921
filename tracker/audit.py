"""Security log lines: refused access is recorded with who and where, never what.

The path carries only opaque UUIDs; no names, no clinical values go to the log.
"""

import logging

log = logging.getLogger("tracker.access")


class RefusedAccessLogMiddleware:
    """Log every 401, 403 and 404 answer: user id, method, path, status."""

    REFUSED = {401, 403, 404}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in self.REFUSED:
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else "anonymous"
            log.warning(
                "access refused status=%s user=%s method=%s path=%s",
                response.status_code,
                user_id,
                request.method,
                request.path,
            )
        return response
