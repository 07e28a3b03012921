"""A clinician acknowledges or resolves the flags the rules raised."""

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    Flag,
    FlagLevel,
    FlagOutcome,
    FlagStatus,
    FlagTransitionError,
)

if TYPE_CHECKING:
    from ..models import User

log = logging.getLogger(__name__)


def _transition(flag: Flag, action: str, *, by: "User", note: str, **options: object) -> Flag:
    # Lock the row so that two clinicians acting at once are serialised: the second one
    # sees the first one's change and is told (FlagTransitionError) instead of overwriting it.
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if action == "resolve" and locked.level == FlagLevel.URGENT and not options["outcome"]:
            raise FlagTransitionError(
                _("Choose the outcome of this urgent flag before resolving it.")
            )
        getattr(locked, action)(by=by, note=note, **options)
    log.info("flag %s id=%s by=%s", locked.status, locked.pk, by.pk)
    return locked


def acknowledge_flag(*, flag: Flag, by: "User", note: str = "", shared: bool = False) -> Flag:
    return _transition(flag, "acknowledge", by=by, note=note, shared=shared)


def resolve_flag(
    *, flag: Flag, by: "User", note: str = "", outcome: str = "", shared: bool = False
) -> Flag:
    """Resolve with a note; an urgent flag also needs its outcome (what was done)."""
    if outcome and outcome not in FlagOutcome.values:
        raise FlagTransitionError(_("Choose an outcome from the list."))
    return _transition(flag, "resolve", by=by, note=note, outcome=outcome, shared=shared)


def acknowledge_flags(
    *, flags: Iterable[Flag], by: "User", note: str = "", shared: bool = False
) -> list[Flag]:
    """Acknowledge several "expected, logged" flags at once with one note, all or nothing.

    Only info flags: an urgent or review flag is looked at on its own. Flags someone else
    acknowledged a moment ago are left as they are (not an error: the work is done).
    """
    if any(flag.level != FlagLevel.INFO for flag in flags):
        raise FlagTransitionError(_("Only “expected, logged” flags are acknowledged together."))
    done = []
    with transaction.atomic():
        locked = Flag.objects.select_for_update().filter(
            pk__in=[flag.pk for flag in flags], status=FlagStatus.OPEN
        )
        for flag in locked:
            flag.acknowledge(by=by, note=note, shared=shared)
            done.append(flag)
    log.info("flags acknowledged together count=%s by=%s", len(done), by.pk)
    return done
