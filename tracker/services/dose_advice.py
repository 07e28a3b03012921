"""High-dose IL-2 dose advice: a judgement on the course at a time (PRODUCT.md §7)."""

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import rules
from ..measurements import VISIT_MEASUREMENTS
from ..models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    DoseAdviceOverride,
    DoseStatus,
    Visit,
)
from .history import _required_reason, _save_with_history
from .judgement import (
    _float,
    _measurements,
    baseline,
    term_info,
    therapy_profile,
)

if TYPE_CHECKING:
    from ..models import User

log = logging.getLogger(__name__)


# --- High-dose IL-2 dose advice: a judgement on the course at a time ------------------------------

# Beyond the measurements, what a visit records for the dose advice (PRODUCT.md §7).
VISIT_ASSESSMENT_FIELDS = (
    "mental_status",
    "vasopressor",
    "vasopressor_dose_ug_kg_min",
    "oxygen_l_min",
    "heart_rate_persists_after_correction",
)


def _assessment(visit: Visit, events: Iterable[rules.AdverseEventInput]) -> rules.Assessment:
    """A visit as the dose advice reads it; `events` are rules.AdverseEventInput."""
    return rules.Assessment(
        at=visit.recorded_at,
        measurements=_measurements(
            {name: getattr(visit, name) for name in VISIT_MEASUREMENTS}, VISIT_MEASUREMENTS
        ),
        adverse_events=tuple(events),
        mental_status=visit.mental_status or None,
        vasopressor=visit.vasopressor or None,
        vasopressor_dose_ug_kg_min=_float(visit.vasopressor_dose_ug_kg_min),
        oxygen_l_min=_float(visit.oxygen_l_min),
        heart_rate_persists_after_correction=visit.heart_rate_persists_after_correction,
    )


def assessments_of(visits: Iterable[Visit]) -> list[rules.Assessment]:
    """Visits whose current adverse events are prefetched (or loaded) as `adverse_events`."""
    return [
        _assessment(
            visit,
            [
                rules.AdverseEventInput(term=term_info(e.term), grade=e.grade)
                for e in visit.adverse_events.all()
                if not e.entered_in_error
            ],
        )
        for visit in visits
    ]


def _current_visits(course: Course) -> list[Visit]:
    return list(
        Visit.objects.current()
        .filter(course=course)
        .prefetch_related(
            Prefetch(
                "adverse_events", queryset=AdverseEvent.objects.current().select_related("term")
            )
        )
        .order_by("recorded_at")
    )


def held_dose_times(doses: Iterable[DoseAdministration]) -> list[datetime.datetime]:
    return [d.scheduled_at for d in doses if d.status == DoseStatus.HELD and not d.entered_in_error]


def overrides_of(overrides: Iterable[DoseAdviceOverride]) -> list[rules.Override]:
    return [
        rules.Override(
            at=o.recorded_at,
            by=o.recorded_by.get_full_name() or o.recorded_by.get_username(),
            reason=o.reason,
        )
        for o in overrides
    ]


def _course_overrides(course: Course) -> QuerySet[DoseAdviceOverride]:
    return DoseAdviceOverride.objects.filter(course=course).select_related("recorded_by")


def advice_as_json(advice: rules.DoseAdvice | None) -> dict[str, Any] | None:
    """How a visit stores its advice (PRODUCT.md §7): its lines as parts, worded when shown
    (tracker/advice_text.py)."""
    if advice is None:
        return None
    return {
        "decision": advice.decision,
        "criteria": [item.as_json() for item in advice.criteria],
        "checked": [item.as_json() for item in advice.checked],
        "not_assessed": [item.as_json() for item in advice.not_assessed],
        "since": advice.since.astimezone(datetime.UTC).isoformat() if advice.since else None,
        "permanent": advice.permanent,
    }


def _judge_dose_advice(
    course: Course,
    profile: rules.TherapyProfile,
    *,
    pending: tuple[Visit, Sequence[rules.AdverseEventInput]] | None = None,
    since: datetime.datetime | None = None,
) -> list[Visit]:
    """Judge again the stored dose advice of the course's visits from `since` on.

    `pending` is a visit about to be saved with its rules.AdverseEventInput list: its advice
    is set on it and it is judged with the others. Returns the stored visits whose advice
    changed (set on them, not saved).
    """
    if profile.drug_class != rules.IL2_HIGH_DOSE:
        return []
    visits = [v for v in _current_visits(course) if pending is None or v.pk != pending[0].pk]
    assessments = assessments_of(visits)
    if pending is not None:
        visit, events = pending
        assessments.append(_assessment(visit, events))
        since = visit.recorded_at if since is None else min(since, visit.recorded_at)
    targets = [v for v in visits if since is None or v.recorded_at >= since]
    if pending is not None:
        targets.append(pending[0])
    advices = rules.dose_advice_timeline(
        therapy=profile,
        baseline=baseline(course),
        assessments=assessments,
        held_doses=held_dose_times(DoseAdministration.objects.current().filter(course=course)),
        overrides=overrides_of(_course_overrides(course)),
        times=[v.recorded_at for v in targets],
    )
    changed = []
    for visit, advice in zip(targets, advices, strict=True):
        stored = advice_as_json(advice)
        if pending is not None and visit is pending[0]:
            visit.dose_advice = stored
        elif visit.dose_advice != stored:
            visit.dose_advice = stored
            changed.append(visit)
    return changed


def _save_judged_again(visits: Iterable[Visit], *, by: "User | None", reason: str) -> None:
    for visit in visits:
        _save_with_history(visit, by=by, reason=reason)


def refresh_dose_advice(
    course: Course,
    *,
    since: datetime.datetime | None = None,
    by: "User | None" = None,
    reason: str = "",
) -> list[Visit]:
    """After a record of the course changed (a visit, adverse event or dose corrected or
    entered in error, a dose recorded): judge again every visit's advice from `since` on,
    saving those that changed with the reason in their history. Returns them."""
    changed = _judge_dose_advice(course, therapy_profile(course), since=since)
    _save_judged_again(
        changed, by=by, reason=reason or _("Dose advice judged again: a record was corrected")
    )
    return changed


def course_dose_advice(
    course: Course,
    *,
    visits: Iterable[Visit],
    doses: Iterable[DoseAdministration],
    overrides: Iterable[DoseAdviceOverride],
    at: datetime.datetime,
) -> dict[str, Any] | None:
    """The advice for the next dose judged on the course at `at`, from records already loaded
    (current visits with their current adverse events, doses, overrides); None on other
    therapies. The course page, the PDF and the API's dose answer all read this."""
    therapy = course.therapy
    if therapy.drug_class != rules.IL2_HIGH_DOSE:
        return None
    # The dose advice reads the therapy's drug class only, not its expected side effects.
    profile = rules.TherapyProfile(
        name=therapy.name, drug_class=therapy.drug_class, expected_terms=frozenset()
    )
    advice = rules.dose_advice(
        therapy=profile,
        baseline=baseline(course),
        assessments=assessments_of(visits),
        held_doses=held_dose_times(doses),
        overrides=overrides_of(overrides),
        at=at,
    )
    return advice_as_json(advice)


def current_dose_advice(
    course: Course, *, at: datetime.datetime | None = None
) -> dict[str, Any] | None:
    """The advice for the next dose judged now (or at `at`), read from the database."""
    if course.therapy.drug_class != rules.IL2_HIGH_DOSE:
        return None
    at = at or timezone.now()
    advice = cast(  # high-dose IL-2 (checked above): never None
        "dict[str, Any]",
        course_dose_advice(
            course,
            visits=_current_visits(course),
            doses=DoseAdministration.objects.current().filter(course=course),
            overrides=_course_overrides(course),
            at=at,
        ),
    )
    return {**advice, "judged_at": at.isoformat()}


@transaction.atomic
def override_discontinuation(*, course: Course, by: "User", reason: str) -> DoseAdviceOverride:
    """A physician lifts the course's discontinuation; only later assessments count."""
    if not getattr(by, "is_physician", False):
        raise PermissionDenied(_("Only a physician can lift a discontinuation."))
    reason = _required_reason(reason)
    course = Course.objects.select_for_update().get(pk=course.pk)
    override = DoseAdviceOverride(course=course, recorded_by=by, reason=reason)
    override.full_clean(exclude=["course", "recorded_by"])
    setattr(override, "_change_reason", reason)  # noqa: B010 (read by simple-history)
    override.save()
    log.info("dose advice override course=%s by=%s", course.pk, by.pk)
    return override
