"""Records keep their history: who wrote each version and why."""

import functools

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _create_with_history(model, objects):
    """INSERT the new rows, then their history rows, as `save()` one by one would write them
    (history_type "+", the request's user, each object's `_change_reason`, the time now), in
    two statements instead of two per row. No-op without rows."""
    if not objects:
        return
    model._default_manager.bulk_create(objects)
    _history_manager(model).bulk_history_create(objects, default_change_reason=None)


@functools.cache
def _history_manager(model):
    # simple-history builds a new manager class on every `Model.history` access (0.3 ms); the
    # model's manager holds no state, so one per model serves every call.
    return model.history


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why.")})
    return reason


def _locked(record):
    # Two clinicians correcting the same record at once are serialised: the second one works
    # on the first one's saved values instead of overwriting them with stale ones.
    return type(record).objects.select_for_update().get(pk=record.pk)


def _save_with_history(record, *, by, reason):
    record._change_reason = reason
    record._history_user = by
    record.save()
