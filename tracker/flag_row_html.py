"""The flag rows (triage queue, course and record pages, a row swapped by htmx) and the
queue's patient rows, drawn in Python.

A queue page draws 25 patients and up to 125 flags; through Django's template engine each
flag row cost a few milliseconds (variable lookups, `{% if %}`, translations:
docs/benchmarks.md, "Round 3: what these runs say" and "Round 3: triage rows"). The partials
tracker/clinician/_flag_rows.html and _patient_rows.html call `{% flag_rows %}` and
`{% patient_rows %}` (tracker/templatetags/flag_rows.py), so every page that draws flag rows
draws them here. Every value is escaped as the template engine escapes it
(`conditional_escape`); the words are the templates' msgids, translated once per language.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.signals import setting_changed
from django.utils import dateformat
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import is_aware, localtime
from django.utils.translation import get_language, gettext, ngettext

from .models import FlagLevel, FlagStatus

# Layouts (see `render_rows`).
QUEUE, PATIENT = "queue", "patient"


def _local(value):
    """A time in the current time zone, as templates show it (`template_localtime`)."""
    return localtime(value) if settings.USE_TZ and is_aware(value) else value


def _e(value) -> str:
    """`{{ value }}` in an autoescaped template: HTML-safe values as they are, the rest
    escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _minutes_in_words(duration, words: _Language) -> str:
    """A time waited or a target, short: "45 min", "2 h 05 min", "3 d 4 h"."""
    if duration is None:
        return ""
    minutes = max(int(duration.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return words.days % {"days": days, "hours": hours}
    if hours:
        return words.hours % {"hours": hours, "minutes": minutes}
    return words.minutes % {"minutes": minutes}


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
class _Language:
    """The rows' words in one language, escaped where the template escaped them: translated
    once per process and language, not once a row."""

    labels: dict[str, str]
    levels: dict[str, str]
    statuses: dict[str, str]
    withdrawn: str
    # {% blocktranslate %}: its words as translated (not escaped), its values escaped.
    acknowledged_by: str
    resolved_by: str
    outcome: str
    note_on: str
    days: str
    hours: str
    minutes: str
    short_datetime: str  # the format of `|date:"SHORT_DATETIME_FORMAT"`


@functools.lru_cache(maxsize=16)
def _language(language: str | None) -> _Language:
    return _Language(
        labels={key: _e(text) for key, text in row_labels().items()},
        levels={level.value: _e(level.label) for level in FlagLevel},
        statuses={status.value: _e(status.label) for status in FlagStatus},
        withdrawn=_e(gettext("Withdrawn")),
        acknowledged_by=gettext("Acknowledged by %(who)s, %(when)s"),
        resolved_by=gettext("Resolved by %(who)s, %(when)s"),
        outcome=gettext("Outcome: %(outcome)s"),
        note_on=gettext("Note on %(term)s"),
        days=gettext("%(days)d d %(hours)d h"),
        hours=gettext("%(hours)d h %(minutes)02d min"),
        minutes=gettext("%(minutes)d min"),
        short_datetime=get_format("SHORT_DATETIME_FORMAT"),
    )


def _forget_words(**_signal):
    """Formats or languages changed (settings overridden in tests): word the rows again."""
    _language.cache_clear()
    _overdue_language.cache_clear()


setting_changed.connect(_forget_words, dispatch_uid="flag_row_html_words")


@dataclass(frozen=True)
class _Words:
    """Everything a table's rows repeat: the words of its language and the request's own
    (CSRF token, where the forms come back to), escaped once per table."""

    language: _Language
    labels: dict[str, str]
    csrf_input: str
    next_input: str
    next_query: str
    layout_input: str


def _words(*, layout: str, next_url: str, csrf_token) -> _Words:
    language = _language(get_language())
    # As {% csrf_token %}: nothing when the view has no token ("NOTPROVIDED").
    if csrf_token and csrf_token != "NOTPROVIDED":  # noqa: S105 -- a marker, not a password
        csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf_token)}">'
    else:
        csrf_input = ""
    return _Words(
        language=language,
        labels=language.labels,
        csrf_input=csrf_input,
        layout_input=f'<input type="hidden" name="layout" value="{_e(layout)}">',
        next_input=f'<input type="hidden" name="next" value="{_e(next_url)}">',
        next_query=_e(quote(str(next_url))),
    )


def _short_datetime(value, w: _Words) -> str:
    """`{{ value|date:"SHORT_DATETIME_FORMAT" }}`, in the current time zone."""
    if value is None:
        return ""
    return _e(dateformat.format(_local(value), w.language.short_datetime))


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
    level = w.language.levels.get(flag.level)
    if level is None:
        level = _e(flag.level_label)
    return f"  <td>{select}{badge}{level}</span></td>\n"


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
    created = _local(flag.created_at)
    # `|date:'c'` is the ISO 8601 form (django.utils.dateformat, "c").
    parts = [
        '  <td class="small flag-clock">'
        f'<time class="text-nowrap" datetime="{_e(created.isoformat())}">'
        f"{_e(dateformat.format(created, w.language.short_datetime))}</time>\n"
    ]
    waited = getattr(flag, "waited", None)
    if waited is not None and flag.status == "open":
        target = getattr(flag, "target", None)
        waiting = f"{labels['waited']} {_e(_minutes_in_words(waited, w.language))}"
        if target:
            waiting += f" / {labels['target']} {_e(_minutes_in_words(target, w.language))}"
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
    status = w.language.statuses.get(flag.status)
    if status is None:
        status = _e(flag.status_label)
    parts = [f'  <td class="flag-status small">\n    <span class="fw-semibold">{status}</span>']
    if flag.withdrawn:
        withdrawn = w.language.withdrawn
        parts.append(f' <span class="badge text-bg-light border flag-withdrawn">{withdrawn}</span>')
    parts.append("\n")
    if flag.acknowledged_by:
        when = _short_datetime(flag.acknowledged_at, w)
        who = _who(flag.acknowledged_by)
        parts.append(
            f"      <div>{w.language.acknowledged_by % {'who': who, 'when': when}}</div>\n"
        )
        if flag.acknowledged_note:
            parts.append(_note(flag.acknowledged_note, flag.acknowledged_note_shared, w))
    if flag.resolved_by:
        when = _short_datetime(flag.resolved_at, w)
        who = _who(flag.resolved_by)
        parts.append(f"      <div>{w.language.resolved_by % {'who': who, 'when': when}}</div>\n")
        if flag.outcome:
            outcome = _e(flag.get_outcome_display())
            parts.append(
                f'<div class="flag-outcome">{w.language.outcome % {"outcome": outcome}}</div>\n'
            )
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
                f"{w.language.note_on % {'term': term}}</label>\n"
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
    return mark_safe(  # noqa: S308 -- every value in the rows went through _e()
        _rows_html(flags, layout=layout, urls=urls, w=w, row_error=row_error, row_done=row_done)
    )


def _rows_html(flags, *, layout: str, urls: RowUrls, w: _Words, row_error=None, row_done=None):
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
    return "".join(out)


# --- The queue's patient rows ----------------------------------------------------------------


@dataclass(frozen=True)
class _QueueLanguage:
    """The patient rows' words in one language (as `_Language`)."""

    mrn: str
    audience: str
    internal: str
    shared: str
    overdue: str
    open_flags: str
    one_note: str
    acknowledge_selected: str
    courses: str
    heads: str  # the inner table's (visually hidden) column headings
    # {% blocktranslate %}: words as translated, values escaped.
    together: str
    flags_of: str
    of_name: str


@functools.lru_cache(maxsize=16)
def _queue_language(language: str | None) -> _QueueLanguage:
    heads = "".join(
        f'                <th scope="col">{_e(gettext(head))}</th>\n'
        for head in (
            "Level",
            "Side effect: rule, value, threshold and source",
            "Raised",
            "Status",
            "Action",
        )
    )
    return _QueueLanguage(
        mrn=_e(gettext("MRN")),
        audience=_e(gettext("Who reads the note")),
        internal=_e(gettext("Care team only")),
        shared=_e(gettext("Shared with the patient")),
        overdue=_e(gettext("Overdue: past the response target")),
        open_flags=_e(gettext("Open flags:")),
        one_note=_e(gettext("One note for the expected flags")),
        acknowledge_selected=_e(gettext("Acknowledge selected")),
        courses=_e(gettext("Courses of this patient")),
        heads=heads,
        together=gettext("Acknowledge expected flags of %(name)s together"),
        flags_of=gettext("Flags of %(name)s"),
        of_name=gettext("of %(name)s"),
    )


def _forget_queue_words(**_signal):
    _queue_language.cache_clear()


setting_changed.connect(_forget_queue_words, dispatch_uid="flag_row_html_queue_words")

_LEVEL_BADGES = {"urgent": "text-bg-danger", "review": "text-bg-warning"}


def _count(value) -> str:
    """`{{ count }}` inside a {% blocktranslate %}: localized, escaped."""
    return _e(localize(value))


def _patient_head(row, patient, name: str, q: _QueueLanguage, urls: RowUrls, table) -> str:
    pk = patient.pk
    parts = [
        f'        <th scope="row" class="fw-normal'
        f'{" border-start border-5 border-danger" if row.overdue else ""}">\n'
        f'          <a class="fw-semibold" href="{urls.patient.format(pk=pk)}">{name}</a>\n'
        f'          <div class="small text-body-secondary text-nowrap">{q.mrn} '
        f"{_e(patient.mrn)}</div>\n"
    ]
    if patient.phone:
        parts.append(
            '          <div class="small"><a class="patient-phone text-nowrap" '
            f'href="tel:{_e(patient.phone.replace(" ", ""))}">☎ {_e(patient.phone)}</a></div>\n'
        )
    if row.overdue:
        parts.append(
            '          <div class="mt-1"><span class="badge text-bg-danger patient-overdue-badge">'
            f"⚠ {q.overdue}</span></div>\n"
        )
    by_level = row.open_by_level
    if by_level:
        items = "".join(
            f'<li class="patient-open-count-{_e(level)}"><span class="badge '
            f'{_LEVEL_BADGES.get(level, "text-bg-secondary")}">{_e(localize(count))}</span> '
            f"{_e(label)}</li>"
            for level, label, count in by_level
        )
        parts.append(
            '            <div class="small mt-1 patient-open-counts">'
            f'<span class="fw-semibold">{q.open_flags}</span>\n'
            f'              <ul class="list-unstyled mb-0">{items}</ul>\n'
            "            </div>\n"
        )
    info = row.info_open_count
    if info:
        all_of_them = ngettext(
            "Acknowledge the %(count)s expected flag",
            "Acknowledge all %(count)s expected flags",
            info,
        ) % {"count": _count(info)}
        selected = (
            '              <button type="submit" class="btn btn-sm btn-outline-primary">'
            f"{q.acknowledge_selected}</button>\n"
            if row.info_open
            else ""
        )
        parts.append(
            f'            <form method="post" action="{table.together_url}" id="together-{pk}" '
            'class="mt-2 d-flex flex-column gap-1 acknowledge-together" '
            f'aria-label="{q.together % {"name": name}}">\n'
            f"              {table.words.csrf_input}\n"
            f'              <input type="hidden" name="next" value="{table.full_path}">\n'
            f'              <label class="small" for="together-note-{pk}">{q.one_note}</label>\n'
            '              <input type="text" class="form-control form-control-sm" '
            f'id="together-note-{pk}" name="note" maxlength="2000" autocomplete="off">\n'
            f'              <label class="visually-hidden" for="together-audience-{pk}">'
            f"{q.audience}</label>\n"
            '              <select class="form-select form-select-sm" '
            f'id="together-audience-{pk}" name="audience">'
            f'<option value="internal" selected>{q.internal}</option>'
            f'<option value="shared">{q.shared}</option></select>\n'
            f"{selected}"
            '              <button type="submit" class="btn btn-sm btn-outline-primary" '
            f'name="patient" value="{pk}">{all_of_them}</button>\n'
            "            </form>\n"
        )
    parts.append("        </th>\n")
    return "".join(parts)


def _more(row, patient, name: str, q: _QueueLanguage, urls: RowUrls, table) -> str:
    more = row.more
    if not more:
        return ""
    count = {"count": _count(more)}
    if table.one_patient:
        text = (
            ngettext(
                "%(count)s more flag is not shown here; each course's page lists its own.",
                "%(count)s more flags are not shown here; each course's page lists its own.",
                more,
            )
            % count
        )
        inside = (
            f"                {text}\n"
            f'                <a href="{urls.patient.format(pk=patient.pk)}">{q.courses}</a>\n'
        )
    else:
        params = table.query.copy()
        params["patient"] = patient.pk
        text = ngettext("and %(count)s more flag", "and %(count)s more flags", more) % count
        inside = (
            f'                <a class="fw-semibold" href="?{_e(params.urlencode())}">{text}'
            f'<span class="visually-hidden"> {q.of_name % {"name": name}}</span></a>\n'
        )
    return (
        f'            <p class="small px-2 py-1 mb-0 patient-more-flags">\n{inside}'
        "            </p>\n"
    )


@dataclass(frozen=True)
class _QueueTable:
    words: _Words
    together_url: str
    full_path: str  # escaped
    query: object  # the request's GET without its page (a QueryDict)
    one_patient: bool


def render_patient_rows(
    rows: Iterable,
    *,
    urls: RowUrls,
    together_url: str,
    request,
    csrf_token=None,
    one_patient: bool = False,
) -> SafeString:
    """The triage queue's rows, one per patient (views/clinician.py `PatientRow`): the
    patient, how to call them, their open flags counted by level, a form that acknowledges
    their open "expected" flags together, then their most pressing flags (`render_rows`,
    layout "patient") and a link to the rest."""
    full_path = request.get_full_path()
    words = _words(layout=PATIENT, next_url=full_path, csrf_token=csrf_token)
    query = request.GET.copy()
    query.pop("page", None)
    table = _QueueTable(
        words=words,
        together_url=together_url,
        full_path=_e(full_path),
        query=query,
        one_patient=one_patient,
    )
    q = _queue_language(get_language())
    out = []
    for row in rows:
        patient = row.patient
        name = _e(patient.full_name)
        overdue = " patient-overdue" if row.overdue else ""
        out.append(
            f'      <tr id="patient-{patient.pk}" class="patient-row patient-row-{_e(row.level)}'
            f'{overdue}">\n'
        )
        out.append(_patient_head(row, patient, name, q, urls, table))
        out.append(
            '        <td class="p-0">\n'
            '          <table class="table table-sm mb-0 align-top flag-table">\n'
            '            <caption class="visually-hidden">'
            f"{q.flags_of % {'name': name}}</caption>\n"
            '            <thead class="visually-hidden">\n'
            "              <tr>\n"
            f"{q.heads}"
            "              </tr>\n"
            "            </thead>\n"
            "            <tbody>\n"
        )
        out.append(_rows_html(row.flags, layout=PATIENT, urls=urls, w=words))
        out.append("            </tbody>\n          </table>\n")
        out.append(_more(row, patient, name, q, urls, table))
        out.append("        </td>\n      </tr>\n")
    return mark_safe("".join(out))  # noqa: S308 -- every value above went through _e()


# --- The not-reported list's rows ---------------------------------------------------------------


@dataclass(frozen=True)
class OverdueUrls:
    """The not-reported rows' three links, as `RowUrls`."""

    patient: str
    course: str
    report: str


@dataclass(frozen=True)
class _OverdueLanguage:
    mrn: str
    never: str
    record: str
    short_date: str  # the format of `|date:"SHORT_DATE_FORMAT"`
    short_datetime: str


@functools.lru_cache(maxsize=16)
def _overdue_language(language: str | None) -> _OverdueLanguage:
    return _OverdueLanguage(
        mrn=_e(gettext("MRN")),
        never=_e(gettext("Never")),
        record=_e(gettext("Record a report by phone")),
        short_date=get_format("SHORT_DATE_FORMAT"),
        short_datetime=get_format("SHORT_DATETIME_FORMAT"),
    )


def render_overdue_rows(rows: Iterable, *, urls: OverdueUrls) -> SafeString:
    """The not-reported list's rows (views/clinician.py `OverdueCourse`): the markup the
    template drew, at a fraction of its cost (docs/benchmarks.md, "Round 3: the API flag list
    and the not-reported list")."""
    w = _overdue_language(get_language())
    out = []
    for row in rows:
        course = row.course
        patient = course.patient
        if row.last_report_at:
            local = _local(row.last_report_at)
            last = (
                f'<time datetime="{_e(dateformat.format(local, "c"))}">'
                f"{_e(dateformat.format(local, w.short_datetime))}</time>"
            )
        else:
            last = w.never
        if patient.phone:
            phone = (
                f'<a href="tel:{_e(patient.phone.replace(" ", ""))}" class="text-nowrap">'
                f"{_e(patient.phone)}</a>"
            )
        else:
            phone = "—"
        out.append(
            "          <tr>\n"
            f'            <td><a href="{urls.patient.format(pk=patient.pk)}">'
            f"{_e(patient.full_name)}</a> "
            f'<span class="small text-body-secondary text-nowrap">{w.mrn} {_e(patient.mrn)}'
            "</span></td>\n"
            f'            <td><a href="{urls.course.format(pk=course.pk)}">'
            f"{_e(course.therapy.display_name)}</a></td>\n"
            f"            <td>{_e(dateformat.format(course.start_date, w.short_date))}</td>\n"
            f"            <td>{last}</td>\n"
            f"            <td>{_e(dateformat.format(row.due, w.short_date))}</td>\n"
            f"            <td>{_e(localize(row.days_late))}</td>\n"
            f"            <td>{phone}</td>\n"
            '            <td><a class="btn btn-sm btn-outline-primary text-nowrap" '
            f'href="{urls.report.format(pk=course.pk)}">{w.record}</a></td>\n'
            "          </tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 -- every value above went through _e()
