"""What the flag rows (triage queue, course and record pages) need, at a row's cost.

A queue page draws 25 patients and up to 125 flag rows: `{% patient_rows %}` and
`{% flag_rows %}` draw them in Python (tracker/flag_row_html.py) rather than through the
template engine, which cost a few milliseconds a row (docs/benchmarks.md, "Round 3: triage
rows"); the links are reversed once per process, the repeated words translated once per
language.
"""

import functools
import uuid

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import escape

from .. import flag_row_html

register = template.Library()

_PLACEHOLDER = str(uuid.UUID(int=0))


@functools.lru_cache(maxsize=32)
def _pattern(name, script_prefix):
    return reverse(name, args=[_PLACEHOLDER])


def _escaped_pattern(name, script_prefix):
    """The link of `name` for one key, escaped, with "{pk}" where the key goes."""
    url = escape(_pattern(name, script_prefix)).replace("{", "{{").replace("}", "}}")
    return url.replace(_PLACEHOLDER, "{pk}", 1)


@functools.lru_cache(maxsize=8)
def _row_urls(script_prefix):
    def pattern(name):
        return _escaped_pattern(name, script_prefix)

    return flag_row_html.RowUrls(
        patient=pattern("tracker:patient-detail"),
        course=pattern("tracker:course-detail"),
        acknowledge=pattern("tracker:flag-acknowledge"),
        resolve=pattern("tracker:flag-resolve"),
    )


@register.simple_tag(takes_context=True)
def flag_rows(context, flags, layout, row_error=None, row_done=None):
    """The flags as table rows (tracker/flag_row_html.py `render_rows`); their forms come
    back to the context's `next`, else to this page."""
    request = context.get("request")
    next_url = context.get("next") or (request.get_full_path() if request else "")
    return flag_row_html.render_rows(
        flags,
        layout=layout,
        urls=_row_urls(get_script_prefix()),
        next_url=next_url,
        csrf_token=context.get("csrf_token"),
        row_error=row_error,
        row_done=row_done,
    )


@functools.lru_cache(maxsize=8)
def _together_url(script_prefix):
    return escape(reverse("tracker:flags-acknowledge-together"))


@register.simple_tag(takes_context=True)
def patient_rows(context, rows, one_patient=False):
    """The triage queue's rows, one per patient (tracker/flag_row_html.py
    `render_patient_rows`)."""
    prefix = get_script_prefix()
    return flag_row_html.render_patient_rows(
        rows,
        urls=_row_urls(prefix),
        together_url=_together_url(prefix),
        request=context["request"],
        csrf_token=context.get("csrf_token"),
        one_patient=bool(one_patient),
    )


@functools.lru_cache(maxsize=8)
def _overdue_urls(script_prefix):
    return flag_row_html.OverdueUrls(
        patient=_escaped_pattern("tracker:patient-detail", script_prefix),
        course=_escaped_pattern("tracker:course-detail", script_prefix),
        report=_escaped_pattern("tracker:report-create", script_prefix),
    )


@register.simple_tag
def overdue_rows(rows):
    """The not-reported list's rows (tracker/flag_row_html.py `render_overdue_rows`)."""
    return flag_row_html.render_overdue_rows(rows, urls=_overdue_urls(get_script_prefix()))
