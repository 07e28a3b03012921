"""Records keep their history: who wrote each version and why."""

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from ..models import User

_Record = TypeVar("_Record", bound=models.Model)


def _create_with_history(model: type[_Record], objects: Sequence[_Record]) -> None:
    """INSERT the new rows, then their history rows, as `save()` one by one would write them
    (history_type "+", the request's user, each object's `_change_reason`, the time now), in
    two statements instead of two per row. No-op without rows."""
    if not objects:
        return
    model._default_manager.bulk_create(objects)
    _history_manager(model).bulk_history_create(objects, default_change_reason=None)


@functools.cache
def _history_manager(model: type[models.Model]) -> Any:  # simple-history has no types
    # simple-history builds a new manager class on every `Model.history` access (0.3 ms); the
    # model's manager holds no state, so one per model serves every call.
    return getattr(model, "history")  # noqa: B009 (added by simple-history, not declared)


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why.")})
    return reason


def _locked(record: _Record) -> _Record:
    # Two clinicians correcting the same record at once are serialised: the second one works
    # on the first one's saved values instead of overwriting them with stale ones.
    manager: models.Manager[_Record] = getattr(type(record), "objects")  # noqa: B009 (every model's)
    return manager.select_for_update().get(pk=record.pk)


def _save_with_history(record: models.Model, *, by: "User | None", reason: str) -> None:
    # simple-history reads who and why from these attributes, which the models do not declare.
    setattr(record, "_change_reason", reason)  # noqa: B010
    setattr(record, "_history_user", by)  # noqa: B010
    record.save()
