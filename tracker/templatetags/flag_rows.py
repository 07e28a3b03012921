"""What the flag rows (triage queue, course and record pages) need, at a row's cost.

A queue page draws 25 rows; resolving four `{% url %}`s and eight `{% translate %}`s in each
was about half of the rows' time (docs/benchmarks.md, "Triage queue (round 2)").
"""

import functools
import uuid

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext

register = template.Library()

_PLACEHOLDER = str(uuid.UUID(int=0))


@functools.lru_cache(maxsize=32)
def _pattern(name, script_prefix):
    return reverse(name, args=[_PLACEHOLDER])


@register.simple_tag
def pk_url(name, pk):
    """`{% url name pk %}` for a URL whose only argument is a UUID primary key: the URL is
    reversed once per process (and script prefix), then the key is put in its place."""
    return _pattern(name, get_script_prefix()).replace(_PLACEHOLDER, str(pk), 1)


@register.simple_tag
def flag_row_labels():
    """The words every flag row repeats, translated once per table instead of once a row."""
    return {
        "mrn": gettext("MRN"),
        "not_expected": gettext("not expected"),
        "value": gettext("Value:"),
        "threshold": gettext("Threshold:"),
        "source": gettext("Source:"),
        "catalog_version": gettext("Judged with therapy catalog version"),
        "note_placeholder": gettext("Note (optional)"),
        "acknowledge": gettext("Acknowledge"),
        "resolve": gettext("Resolve…"),
        "audience": gettext("Who reads the note"),
        "internal": gettext("Care team only"),
        "shared": gettext("Shared with the patient"),
        "overdue": gettext("Overdue"),
        "target": gettext("target"),
        "waited": gettext("waiting"),
        "select": gettext("Select for acknowledging together"),
        "shared_note": gettext("shared with the patient"),
    }


@register.filter
def minutes_in_words(duration):
    """A time waited or a target, short: "45 min", "2 h 05 min", "3 d 4 h"."""
    if duration is None:
        return ""
    minutes = max(int(duration.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}
