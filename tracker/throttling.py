"""Rate limits on writes, per user and per kind of write, the same for the API and the pages.

A patient posting in a loop (a broken script, a stuck phone) must not bury their care team's
triage queue under thousands of identical flags. Each kind of write ("report", "visit",
"flag", "course", any other "write") allows settings.WRITE_RATE_LIMITS[kind] per user, e.g.
"30/hour"; past it the API answers 429 with Retry-After (DRF's Throttled), and the pages a
readable page with the same status and header. Reading is never limited.

The counts live in the database (tracker.models.WriteWindow), shared by every app server
process: each write is counted in a transaction holding its user's row for that kind, so writes
sent at once (a burst from several tabs, threads or servers) are counted one after the other and
never more than the limit get through. A count the database refuses to store (a read-only disk)
refuses the write with 503, as the write itself would be (tracker/unwritable.py).
"""

import math
from functools import wraps

from django.conf import settings
from django.shortcuts import render
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle

DEFAULT_SCOPE = "write"


class WriteRateThrottle(SimpleRateThrottle):
    """Counts a user's writes of one kind in a sliding window (DRF's SimpleRateThrottle).

    The kind comes from the view's `write_scope`: a name, or a dict from the viewset's action
    to a name; writes with no kind of their own count as "write". The rate is read from the
    settings at each request (not frozen at import as DRF's THROTTLE_RATES is)."""

    cache_format = "throttle_%(scope)s_%(ident)s"

    def __init__(self, scope=None):
        # SimpleRateThrottle reads the rate here; it is read per request instead.
        self.scope = scope

    def get_rate(self):
        return settings.WRITE_RATE_LIMITS.get(self.scope)

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if view is not None:
            self.scope = self._scope_of(view)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.allow_request_for(request)

    @staticmethod
    def _scope_of(view):
        scope = getattr(view, "write_scope", None)
        if isinstance(scope, dict):
            scope = scope.get(getattr(view, "action", None))
        return scope or DEFAULT_SCOPE

    def get_cache_key(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return None  # anonymous requests write nothing: the API refuses them (401)
        return self.cache_format % {"scope": self.scope, "ident": user.pk}

    def allow_request_for(self, request):
        """Count this write if it is within the limit (SimpleRateThrottle's sliding window, kept
        in the user's row instead of the cache).

        Two statements, no lock held between them: the row is read, then stored only if no
        other write of this user's and kind was counted meanwhile (its `version` unchanged);
        if one was, the count starts again from the row as that write left it. A write past
        the limit is refused after the read alone."""
        from .models import WriteWindow

        if self.rate is None or self.get_cache_key(request, None) is None:
            return True
        rows = WriteWindow.objects.filter(user_id=request.user.pk, scope=self.scope)
        while True:
            window = rows.values_list("times", "version").first()
            self.now = self.timer()  # once the row is read: the moment this write is counted
            times, version = window or ([], None)
            times = sorted((t for t in times if t > self.now - self.duration), reverse=True)
            self.history = times
            if len(times) >= self.num_requests:
                return self.throttle_failure()
            if version is None:
                # The user's first write of the kind: the row is made (unless another write
                # made it meanwhile), then counted in like any other.
                WriteWindow.objects.bulk_create(
                    [WriteWindow(user_id=request.user.pk, scope=self.scope)], ignore_conflicts=True
                )
                continue
            if rows.filter(version=version).update(times=[self.now, *times], version=version + 1):
                return self.throttle_success()

    def throttle_success(self):
        return True

    def retry_after(self) -> int:
        """Whole seconds until the next write of this kind is allowed."""
        return max(1, math.ceil(self.wait() or 1))


def write_rate_limited(scope):
    """Limit a page's POSTs to settings.WRITE_RATE_LIMITS[scope] per user; past it, a page
    that says when to try again (429, Retry-After) and nothing is saved."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if refused := refused_past_limit(request, scope):
                return refused
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def refused_past_limit(request, scope):
    """For a page's POST that writes only on some of its buttons: None if this write is within
    settings.WRITE_RATE_LIMITS[scope] (and it is counted), else the page saying when to try
    again (429, Retry-After)."""
    if request.method == "POST" and request.user.is_authenticated:
        throttle = WriteRateThrottle(scope)
        if not throttle.allow_request(request, None):
            return too_many_writes(request, throttle.retry_after())
    return None


def _phone_for(user):
    """The number a patient is told to call (their care team's), or the clinic's."""
    record = getattr(user, "patient_record", None) if user.is_patient else None
    return record.care_team.phone_for_patients if record else settings.CLINIC_PHONE


def too_many_writes(request, retry_after: int):
    minutes = max(1, math.ceil(retry_after / 60))
    response = render(
        request,
        "tracker/too_many_writes.html",
        {
            "minutes": minutes,
            "is_patient": request.user.is_patient,
            "phone": _phone_for(request.user),
            "emergency_number": settings.EMERGENCY_NUMBER,
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
