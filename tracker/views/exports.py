"""Downloads of a course summary (PDF, CSV, FHIR) and the cohort export page.

Every course is fetched through `Course.objects.visible_to(request.user)`: a course outside the
user's scope answers 404, whoever asks. Patients download their own course's summary; the
cohort export is for clinicians (their care teams' courses) and administrators (every course).
"""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from ..exports import responses
from ..exports.cohort import cohort_courses
from ..exports.forms import CohortExportForm
from ..models import Course
from ..summary import build_summary, hide_internal_notes
from .decorators import clinician_or_administrator_required


def _summary(request, pk, **options):
    course = get_object_or_404(Course.objects.visible_to(request.user), pk=pk)
    summary = build_summary(course, **options)
    if request.user.is_patient:
        hide_internal_notes(summary.flags)
    return summary


@require_safe
def course_summary_pdf(request, pk):
    """The printable summary, in the language the user is reading the site in: rendered ahead
    and kept by course version (tracker/exports/ahead.py), so a download is a lookup."""
    course = get_object_or_404(
        Course.objects.visible_to(request.user).select_related("patient", "therapy"), pk=pk
    )
    return responses.pdf_response(request, course, language=get_language())


@require_safe
def course_summary_csv(request, pk):
    return responses.csv_response(_summary(request, pk), user=request.user)


@require_safe
def course_summary_fhir(request, pk):
    return responses.fhir_response(_summary(request, pk), user=request.user)


@require_safe
def codebook_csv(request):
    """What each column of the observation CSV means (course and cohort exports)."""
    return responses.codebook_response()


@require_safe
@clinician_or_administrator_required
def cohort(request):
    """The form (GET without `start_from`), or the streamed CSV once the form is valid.

    A GET form: the export changes nothing, and its address can be kept to run it again.
    """
    if "start_from" not in request.GET:
        form = CohortExportForm(
            initial=CohortExportForm.initial_for(
                request.GET.get("therapy"), today=timezone.localdate()
            )
        )
        return render(request, "tracker/exports/cohort.html", {"form": form})
    form = CohortExportForm(request.GET)
    if not form.is_valid():
        return render(request, "tracker/exports/cohort.html", {"form": form}, status=400)
    data = form.cleaned_data
    courses = cohort_courses(
        Course.objects.visible_to(request.user),
        therapy=data["therapy"],
        start_from=data["start_from"],
        start_to=data["start_to"],
    )
    return responses.cohort_response(
        courses,
        user=request.user,
        therapy=data["therapy"],
        start_from=data["start_from"],
        start_to=data["start_to"],
        pseudonymised=data["pseudonymise"],
    )
