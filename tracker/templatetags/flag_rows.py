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
        "resolve": gettext("Resolve"),
    }
