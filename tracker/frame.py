"""The site's frame: the header with its navigation, drawn on every page (templates/base.html
`{% site_header %}`).

Drawing it with the template engine cost an empty page about three times the cheapest signed-in
request (docs/benchmarks.md, round 3). What the header shows depends only on `_key`: the
language, the URLs' prefix, who is signed in as far as the header says it (role, name, staff)
and which section of the navigation is open. So it is drawn once per key and kept in this
process; each request writes its own parts into the kept HTML:
- the page's CSRF token (the language and log-out forms);
- the address to come back to after choosing a language;
- the navigation's count of open urgent flags, counted on every request: it is a clinical
  signal and is never kept (only its HTML for a given count and language is).
The HTML is the same as a plain rendering of the header (tests/tracker/test_frame.py).
"""

import secrets

from django.db import connections, router
from django.template.defaultfilters import add
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .cache import KeptByKey
from .models import Flag, FlagLevel

HEADER = "tracker/partials/_header.html"
BADGE = "tracker/clinician/_urgent_badge.html"

# Where the per-request parts go in a kept header: marks no page can contain (a secret of
# this process; a name typed by a user is escaped and could not hold one by chance).
_MARK = secrets.token_hex(16)
CSRF_SLOT = f"csrf{_MARK}"
PATH_SLOT = f"path{_MARK}"
BADGE_SLOT = f"badge{_MARK}"

kept = KeptByKey(4 * 1024 * 1024)


class _SlottedRequest:
    """The request as the header reads it, with its full path left as a slot."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_full_path(self):
        return PATH_SLOT


_section_urls: dict[tuple, tuple[str, ...]] = {}


def _sections(request):
    """Which of the clinician navigation's links is the open page (_nav_clinician.html)."""
    where = (get_script_prefix(), get_urlconf())
    urls = _section_urls.get(where)
    if urls is None:
        urls = _section_urls[where] = tuple(
            reverse(name)
            for name in ("tracker:triage", "tracker:patient-list", "tracker:export-cohort")
        )
    triage, patients, cohort = urls
    path = request.path
    return (path == triage, patients in path, path == patients, path == cohort)


def _key(request, user, language):
    if user.is_authenticated:
        who = (
            user.role,
            user.is_superuser,
            user.is_staff,
            user.get_full_name(),
            user.get_username(),
        )
        match = request.resolver_match
        where = (getattr(match, "url_name", None), _sections(request))
    else:
        who = where = None
    return repr(("header", language, get_script_prefix(), get_urlconf(), who, where))


def _draw(request, user):
    """The header with slots for the per-request parts, or None if a part is not where the
    slots can take it."""
    # Without a count the badge is drawn empty (as for none), and put in its slot.
    empty_badge = get_template(BADGE).render({})
    html = get_template(HEADER).render(
        {"request": _SlottedRequest(request), "user": user, "csrf_token": CSRF_SLOT}
    )
    badges = html.count(empty_badge)
    if badges > 1 or html.count(PATH_SLOT) != 1:
        return None
    return html.replace(empty_badge, BADGE_SLOT)


def _badge(context, language):
    """The navigation's urgent badge for this request's count (read here, on every request)."""
    # As `open_urgent_flag_count|add:0` in the badge's template reads it.
    count = add(context.get("open_urgent_flag_count", ""), 0)
    oob = bool(context.get("oob"))
    key = repr(("urgent badge", language, count, oob))
    html = kept.get(key)
    if html is None:
        html = get_template(BADGE).render({"open_urgent_flag_count": count, "oob": oob})
        kept.set(key, html)
    return html


def header(context):
    """The header of the page being rendered in `context` (a template's RequestContext)."""
    request = context.get("request")
    user = context.get("user")
    csrf_token = context.get("csrf_token")
    if request is None or user is None or csrf_token in (None, "NOTPROVIDED"):
        return get_template(HEADER).render(context.flatten())
    language = get_language()
    key = _key(request, user, language)
    html = kept.get(key)
    if html is None:
        html = _draw(request, user)
        if html is None:
            return get_template(HEADER).render(context.flatten())
        kept.set(key, html)
    html = html.replace(CSRF_SLOT, escape(str(csrf_token)))
    html = html.replace(PATH_SLOT, escape(request.get_full_path()))
    if BADGE_SLOT in html:
        html = html.replace(BADGE_SLOT, _badge(context, language))
    return mark_safe(html)  # noqa: S308 (drawn by the template engine; the parts escaped)


_badge_queries: dict[tuple, tuple[str, tuple]] = {}


def open_urgent_count(user):
    """The number of open urgent flags in `user`'s scope: `Flag.objects.visible_to(user)`'s open
    urgent flags, counted by one query.

    The query's SQL is built by the ORM once per user (and role) and kept: building it cost
    three times running it. It depends only on the user's role and id; the care teams are
    read by the query itself, so the count is exact on every request.
    """
    alias = router.db_for_read(Flag)
    key = (alias, user.pk, user.role, user.is_superuser)
    query = _badge_queries.get(key)
    if query is None:
        flags = Flag.objects.using(alias).visible_to(user).open().filter(level=FlagLevel.URGENT)
        sql, params = flags.order_by().values("pk").query.sql_with_params()
        # The ORM's own SQL and parameters, counted: nothing from the request is in the text.
        query = (f"SELECT COUNT(*) FROM ({sql}) open_urgent", params)  # noqa: S608
        if len(_badge_queries) > 10_000:
            _badge_queries.clear()
        _badge_queries[key] = query
    with connections[alias].cursor() as cursor:
        cursor.execute(*query)
        return cursor.fetchone()[0]
