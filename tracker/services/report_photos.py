"""Photos of a report (patient portal)."""

import logging
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from .. import photos
from ..models import (
    ReportPhoto,
    SymptomReport,
)

if TYPE_CHECKING:
    from ..models import User
from .history import _locked, _required_reason, _save_with_history

log = logging.getLogger(__name__)


# --- Photos of a report (patient portal) -------------------------------------------------------


def add_report_photo(
    *, report: SymptomReport, by: "User", subject: str, photo: photos.CleanPhoto
) -> ReportPhoto:
    """Keep a photo (already re-encoded by tracker.photos.clean_photo) with a report.

    At most MAX_PHOTOS_PER_REPORT photos per report (those entered in error do not count); the
    report is locked so that two uploads at once cannot both be the third. If the record cannot
    be saved, the stored file is removed again: nothing is half-saved.
    """
    with transaction.atomic():
        report = SymptomReport.objects.select_for_update().get(pk=report.pk)
        if report.entered_in_error:
            raise ValidationError(_("This report is marked entered in error."))
        kept = ReportPhoto.objects.filter(report=report, entered_in_error=False).count()
        if kept >= photos.MAX_PHOTOS_PER_REPORT:
            raise ValidationError(
                {
                    "photo": _("This report already has %(count)d photos, the most it can have.")
                    % {"count": photos.MAX_PHOTOS_PER_REPORT}
                }
            )
        record = ReportPhoto(
            report=report,
            subject=subject,
            content_type=photo.content_type,
            size=len(photo.content),
            width=photo.width,
            height=photo.height,
            uploaded_by=by,
        )
        record.full_clean(exclude=["file"])
        try:
            record.file.save("photo.jpg", ContentFile(photo.content), save=False)
        except Exception:  # a full disk, a bucket out of reach: nothing is kept, say so
            log.exception("photo not stored report=%s", report.pk)
            raise ValidationError(
                {"photo": _("The photo could not be kept just now. Try again in a few minutes.")}
            ) from None
        stored = cast(str, record.file.name)  # saved just above: it has a name
        try:
            setattr(record, "_history_user", by)  # noqa: B010 (read by simple-history)
            record.save()
        except Exception:
            record.file.storage.delete(stored)
            raise
    log.info("photo added report=%s photo=%s bytes=%d", report.pk, record.pk, record.size)
    return record


@transaction.atomic
def mark_photo_entered_in_error(*, photo: ReportPhoto, by: "User", reason: str) -> ReportPhoto:
    """A photo added by mistake leaves the report's pages and the PDF; the record and its file
    stay, with the history of who marked it and why."""
    reason = _required_reason(reason)
    photo = _locked(photo)
    if photo.entered_in_error:
        raise ValidationError(_("This record is already marked entered in error."))
    photo.entered_in_error = True
    photo.entered_in_error_reason = reason
    _save_with_history(photo, by=by, reason=reason)
    return photo
