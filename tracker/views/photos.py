"""Photos of a report: the patient's "Add a photo" page, and the photo itself for the patient
and their care team.

A photo is served only through these views, fetched through `visible_to` (the patient's own
reports, the care team's courses): anyone else is answered 404. The answer is never cached,
never sniffed as another type, and shown inline under a plain file name.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import photos, services
from tracker.forms.photos import PhotoEnteredInErrorForm, PhotoForm
from tracker.models import ReportPhoto, SymptomReport
from tracker.throttling import write_rate_limited
from tracker.views.decorators import clinician_required, patient_required

# A body larger than the largest photo plus the form around it is refused before it is read.
MAX_BODY_BYTES = photos.MAX_UPLOAD_BYTES + 64 * 1024


def _own_report(request, pk):
    return get_object_or_404(
        SymptomReport.objects.visible_to(request.user)
        .filter(course__entered_in_error=False)
        .select_related("course__therapy"),
        pk=pk,
    )


def _add_errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
@write_rate_limited("write")
def report_photos(request, pk):
    """ "Add a photo" to one of the patient's reports: up to three, each refused at the field
    when it is not a photo, too large or too many."""
    report = _own_report(request, pk)
    kept = list(ReportPhoto.objects.filter(report=report).current())
    room = not report.entered_in_error and len(kept) < photos.MAX_PHOTOS_PER_REPORT
    if request.method == "POST":
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            form = PhotoForm(request.POST)
            form.is_valid()
            form.errors.pop("photo", None)
            form.add_error("photo", photos.TOO_LARGE)
        else:
            form = PhotoForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    services.add_report_photo(
                        report=report,
                        by=request.user,
                        subject=form.cleaned_data["subject"],
                        photo=form.cleaned_data["photo"],
                    )
                except ValidationError as error:
                    _add_errors(form, error)
                else:
                    messages.success(request, _("Your photo is added to your report."))
                    return redirect("tracker:patient-report-photos", report.pk)
        status = 400
    else:
        form = PhotoForm()
        status = 200
    return render(
        request,
        "tracker/patient/report_photos.html",
        {
            "report": report,
            "course": report.course,
            "photos": kept,
            "form": form,
            "room": room,
            "max_photos": photos.MAX_PHOTOS_PER_REPORT,
        },
        status=status,
    )


@patient_required
@require_POST
@write_rate_limited("write")
def remove_photo(request, pk):
    """The patient takes back a photo sent by mistake: it leaves their pages, their care team's
    and the PDF. It is marked entered in error (kept with its history), not deleted."""
    photo = get_object_or_404(
        ReportPhoto.objects.visible_to(request.user)
        .current()
        .filter(report__course__entered_in_error=False),
        pk=pk,
    )
    services.mark_photo_entered_in_error(
        photo=photo, by=request.user, reason=_("Removed by the patient")
    )
    messages.success(request, _("The photo is removed from your report."))
    return redirect("tracker:patient-report-photos", photo.report_id)


def _photo_response(photo: ReportPhoto):
    return photos.photo_file_response(photo)


@patient_required
@require_safe
def patient_photo(request, pk):
    """A photo of the patient's own report (not one marked entered in error)."""
    photo = get_object_or_404(
        ReportPhoto.objects.visible_to(request.user)
        .current()
        .filter(report__course__entered_in_error=False),
        pk=pk,
    )
    return _photo_response(photo)


@clinician_required
@require_safe
def clinician_photo(request, pk):
    """A photo of a report of the care team's course; one marked entered in error stays
    reachable from the report's page, as the report's other history does."""
    photo = get_object_or_404(ReportPhoto.objects.visible_to(request.user), pk=pk)
    return _photo_response(photo)


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
@write_rate_limited("write")
def clinician_photo_entered_in_error(request, pk):
    """The care team marks a photo entered in error, with a reason: it leaves the patient's
    pages, the API's answers to the patient and the PDF, and stays listed to the care team as
    entered in error, with its history."""
    photo = get_object_or_404(
        ReportPhoto.objects.visible_to(request.user).select_related(
            "report__course__patient", "report__course__therapy", "report__course__care_team"
        ),
        pk=pk,
    )
    back = reverse("tracker:report-detail", args=[photo.report_id])
    if photo.entered_in_error:
        messages.info(request, _("This record is already marked entered in error."))
        return redirect(back)
    form = PhotoEnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_photo_entered_in_error(
                photo=photo, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("The photo is marked entered in error: the patient no longer sees it.")
            )
            return redirect(back)
    return render(
        request,
        "tracker/clinician/photo_entered_in_error.html",
        {"form": form, "photo": photo, "course": photo.report.course, "back": back},
        status=400 if form.errors else 200,
    )
