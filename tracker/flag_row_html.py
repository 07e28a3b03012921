"""The flag rows (triage queue, course and record pages, a row swapped by htmx), drawn in
Python.

A queue page draws up to 125 of them; through Django's template engine each cost a few
milliseconds (variable lookups, `{% if %}`, translations: docs/benchmarks.md, "Round 3: what
these runs say"). The markup is the one tracker/clinician/_flag_rows.html used to hold; that
partial now calls `{% flag_rows %}` (tracker/templatetags/flag_rows.py), so every page that
draws flag rows draws them here. Every value is escaped as the template engine escapes it
(`conditional_escape`); the translated words are the same msgids as the template's.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.template.defaultfilters import date as date_filter
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

# Layouts (see `render_rows`).
QUEUE, PATIENT = "queue", "patient"


def _e(value) -> str:
    """`{{ value }}` in an autoescaped template: HTML-safe values as they are, the rest
    escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _short_datetime(value) -> str:
    """`{{ value|date:"SHORT_DATETIME_FORMAT" }}`, in the current time zone."""
    if value is None:
        return ""
    return _e(date_format(template_localtime(value), "SHORT_DATETIME_FORMAT"))


def minutes_in_words(duration) -> str:
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


def row_labels() -> dict[str, str]:
    """The words every flag row repeats, in the active language."""
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


@dataclass(frozen=True)
class RowUrls:
    """The rows' four links, each an escaped pattern with "{pk}" where the key goes
    (templatetags/flag_rows.py reverses them once per process)."""

    patient: str
    course: str
    acknowledge: str
    resolve: str


@dataclass(frozen=True)
class _Words:
    """Everything a table's rows repeat, escaped once per table."""

    labels: dict[str, str]
    withdrawn: str
    acknowledged_by: str
    resolved_by: str
    outcome: str
    note_on: str
    csrf_input: str
    next_input: str
    next_query: str
    layout_input: str


def _words(*, layout: str, next_url: str, csrf_token) -> _Words:
    labels = {key: _e(text) for key, text in row_labels().items()}
    # As {% csrf_token %}: nothing when the view has no token ("NOTPROVIDED").
    if csrf_token and csrf_token != "NOTPROVIDED":  # noqa: S105 -- a marker, not a password
        csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf_token)}">'
    else:
        csrf_input = ""
    return _Words(
        labels=labels,
        withdrawn=_e(gettext("Withdrawn")),
        # {% blocktranslate %}: its words as translated, its values escaped.
        acknowledged_by=gettext("Acknowledged by %(who)s, %(when)s"),
        resolved_by=gettext("Resolved by %(who)s, %(when)s"),
        outcome=gettext("Outcome: %(outcome)s"),
        note_on=gettext("Note on %(term)s"),
        csrf_input=csrf_input,
        layout_input=f'<input type="hidden" name="layout" value="{_e(layout)}">',
        next_input=f'<input type="hidden" name="next" value="{_e(next_url)}">',
        next_query=_e(quote(str(next_url))),
    )


def _who(user) -> str:
    return _e(user.get_full_name() or user.username)


def _level_cell(flag, layout: str, w: _Words, term: str) -> str:
    select = ""
    if layout == PATIENT and flag.level == "info" and flag.status == "open":
        select = (
            f'<input type="checkbox" class="form-check-input me-1 flag-select" name="flag" '
            f'value="{flag.pk}" form="together-{flag.course.patient_id}" id="select-{flag.pk}" '
            f'aria-label="{w.labels["select"]}: {term}">'
        )
    if flag.level == "urgent":
        badge = '<span class="badge text-bg-danger flag-level flag-level-urgent">'
    elif flag.level == "review":
        badge = '<span class="badge text-bg-warning flag-level flag-level-review">'
    else:
        badge = '<span class="badge text-bg-secondary flag-level flag-level-info">'
    return f"  <td>{select}{badge}{_e(flag.level_label)}</span></td>\n"


def _patient_cell(flag, urls: RowUrls, w: _Words, therapy: str) -> str:
    patient = flag.course.patient
    return (
        '    <td class="flag-patient">\n'
        f'      <a href="{urls.patient.format(pk=flag.course.patient_id)}">'
        f"{_e(patient.full_name)}</a>\n"
        f'      <div class="small text-body-secondary text-nowrap">{w.labels["mrn"]} '
        f"{_e(patient.mrn)}</div>\n"
        f'      <div class="small"><a href="{urls.course.format(pk=flag.course_id)}">'
        f"{therapy}</a></div>\n"
        "    </td>\n"
    )


def _explained_cell(flag, layout: str, urls: RowUrls, w: _Words, term: str, therapy) -> str:
    labels = w.labels
    parts = [f'  <td class="flag-explained">\n    <strong>{term}</strong>']
    if flag.expected is False:
        parts.append(f' <span class="badge text-bg-light border">{labels["not_expected"]}</span>')
    if layout == PATIENT:
        parts.append(
            f' · <a class="small" href="{urls.course.format(pk=flag.course_id)}">{therapy}</a>'
        )
    parts.append(
        f"\n    <div>{_e(flag.message)}</div>\n"
        '    <div class="small mt-1">\n'
        f'      <span class="fw-semibold">{labels["value"]}</span> {_e(flag.value_label)}\n'
        f'      · <span class="fw-semibold">{labels["threshold"]}</span> '
        f"{_e(flag.threshold_label)}\n"
        "    </div>\n"
        f'    <div class="small text-body-secondary"><span class="fw-semibold">'
        f"{labels['source']}</span> {_e(flag.source_label)}</div>\n"
    )
    if flag.catalog_version:
        parts.append(
            '    <div class="small text-body-secondary flag-catalog-version">'
            f"{labels['catalog_version']} {_e(flag.catalog_version)}</div>\n"
        )
    parts.append("  </td>\n")
    return "".join(parts)


def _clock_cell(flag, w: _Words) -> str:
    labels = w.labels
    created = template_localtime(flag.created_at)
    parts = [
        '  <td class="small flag-clock">'
        f'<time class="text-nowrap" datetime="{_e(date_filter(created, "c"))}">'
        f"{_short_datetime(flag.created_at)}</time>\n"
    ]
    waited = getattr(flag, "waited", None)
    if waited is not None and flag.status == "open":
        target = getattr(flag, "target", None)
        waiting = f"{labels['waited']} {_e(minutes_in_words(waited))}"
        if target:
            waiting += f" / {labels['target']} {_e(minutes_in_words(target))}"
        parts.append(f"      <div>{waiting}</div>\n")
        if getattr(flag, "overdue", False):
            parts.append(
                '      <div><span class="badge text-bg-danger flag-overdue-badge">⚠ '
                f"{labels['overdue']}</span></div>\n"
            )
    parts.append("  </td>\n")
    return "".join(parts)


def _note(note: str, shared: bool, w: _Words) -> str:
    badge = (
        f' <span class="badge text-bg-light border fst-normal">{w.labels["shared_note"]}</span>'
        if shared
        else ""
    )
    return f'      <div class="fst-italic">“{_e(note)}”{badge}</div>\n'


def _status_cell(flag, w: _Words) -> str:
    parts = [
        '  <td class="flag-status small">\n'
        f'    <span class="fw-semibold">{_e(flag.status_label)}</span>'
    ]
    if flag.withdrawn:
        parts.append(
            f' <span class="badge text-bg-light border flag-withdrawn">{w.withdrawn}</span>'
        )
    parts.append("\n")
    if flag.acknowledged_by:
        when = _short_datetime(flag.acknowledged_at)
        who = _who(flag.acknowledged_by)
        parts.append(f"      <div>{w.acknowledged_by % {'who': who, 'when': when}}</div>\n")
        if flag.acknowledged_note:
            parts.append(_note(flag.acknowledged_note, flag.acknowledged_note_shared, w))
    if flag.resolved_by:
        when = _short_datetime(flag.resolved_at)
        who = _who(flag.resolved_by)
        parts.append(f"      <div>{w.resolved_by % {'who': who, 'when': when}}</div>\n")
        if flag.outcome:
            outcome = _e(flag.get_outcome_display())
            parts.append(f'<div class="flag-outcome">{w.outcome % {"outcome": outcome}}</div>\n')
        if flag.resolved_note and flag.resolved_note != flag.acknowledged_note:
            parts.append(_note(flag.resolved_note, flag.resolved_note_shared, w))
    parts.append("  </td>\n")
    return "".join(parts)


def _actions_cell(flag, layout: str, urls: RowUrls, w: _Words, term: str, row_error, row_done):
    labels = w.labels
    parts = ['  <td class="flag-actions">\n']
    if row_error:
        parts.append(
            '<div class="alert alert-warning py-1 px-2 mb-1 small" role="alert" tabindex="-1" '
            f"data-focus-after-swap>{_e(row_error)}</div>\n"
        )
    if row_done:
        parts.append(
            '<div class="text-success small mb-1" role="status" tabindex="-1" '
            f"data-focus-after-swap>{_e(row_done)}</div>\n"
        )
    if flag.status != "resolved":
        resolve = (
            f'<a class="btn btn-sm btn-outline-success" '
            f'href="{urls.resolve.format(pk=flag.pk)}?next={w.next_query}">{labels["resolve"]}'
            f'<span class="visually-hidden"> {term}</span></a>\n'
        )
        if flag.status == "open":
            acknowledge = urls.acknowledge.format(pk=flag.pk)
            parts.append(
                f'        <form method="post" action="{acknowledge}" hx-post="{acknowledge}" '
                'hx-target="closest tr" hx-swap="outerHTML" class="d-flex flex-column gap-1">\n'
                f"          {w.csrf_input}\n"
                f"          {w.layout_input}\n"
                f"          {w.next_input}\n"
                f'          <label class="visually-hidden" for="note-{flag.pk}">'
                f"{w.note_on % {'term': term}}</label>\n"
                '          <input type="text" class="form-control form-control-sm w-auto" '
                f'size="18" id="note-{flag.pk}" name="note" maxlength="2000" autocomplete="off" '
                f'placeholder="{labels["note_placeholder"]}">\n'
                f'          <label class="visually-hidden" for="audience-{flag.pk}">'
                f"{labels['audience']}</label>\n"
                '          <select class="form-select form-select-sm w-auto" '
                f'id="audience-{flag.pk}" name="audience">'
                f'<option value="internal" selected>{labels["internal"]}</option>'
                f'<option value="shared">{labels["shared"]}</option></select>\n'
                '          <div class="d-flex gap-1">\n'
                '            <button type="submit" class="btn btn-sm btn-primary">'
                f"{labels['acknowledge']}</button>\n"
                f"            {resolve}"
                "          </div>\n"
                "        </form>\n"
            )
        else:
            parts.append(f"        {resolve}")
    parts.append("  </td>\n")
    return "".join(parts)


def render_rows(
    flags: Iterable,
    *,
    layout: str,
    urls: RowUrls,
    next_url: str,
    csrf_token=None,
    row_error=None,
    row_done=None,
) -> SafeString:
    """The flags as table rows (`<tr>`), each with its acknowledge form (htmx swaps the row;
    without JavaScript the form posts and the page comes back) and a link to resolve it
    (confirmed on a page of its own).

    Each flag comes with course.patient, course.therapy, term, acknowledged_by and
    resolved_by loaded; in the queue also `waited`, `target` and `overdue`
    (views/clinician.py `_with_clock`). `layout`: "queue" shows the patient and therapy;
    "patient" is inside a patient's row of the queue and shows the therapy, the time waited
    and, for an open "expected" flag, a box to acknowledge it with others; other layouts are
    inside a course. `row_error` / `row_done`: what happened to a swapped row.
    """
    w = _words(layout=layout, next_url=next_url, csrf_token=csrf_token)
    out = []
    for flag in flags:
        term = _e(flag.term.clinical_name)
        therapy = _e(flag.course.therapy.display_name) if layout in (QUEUE, PATIENT) else ""
        overdue = " flag-overdue" if getattr(flag, "overdue", False) else ""
        out.append(
            f'\n<tr id="flag-{flag.pk}" class="flag-row flag-row-{_e(flag.level)}{overdue}">\n'
        )
        out.append(_level_cell(flag, layout, w, term))
        if layout == QUEUE:
            out.append(_patient_cell(flag, urls, w, therapy))
        out.append(_explained_cell(flag, layout, urls, w, term, therapy))
        out.append(_clock_cell(flag, w))
        out.append(_status_cell(flag, w))
        out.append(_actions_cell(flag, layout, urls, w, term, row_error, row_done))
        out.append("</tr>\n")
    return mark_safe("".join(out))  # noqa: S308 -- every value above went through _e()
