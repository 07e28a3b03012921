"""Web pages for the clinician part (included from tracker/web_urls.py, "tracker" namespace)."""

from django.urls import path

from .views import clinician as views
from .views import photos

urlpatterns = [
    path("", views.triage, name="triage"),
    path("triage/new-urgent/", views.triage_new_urgent, name="triage-new-urgent"),
    path(
        "flags/<uuid:pk>/acknowledge/",
        views.flag_transition,
        {"action": "acknowledge"},
        name="flag-acknowledge",
    ),
    path(
        "flags/acknowledge/",
        views.flags_acknowledge_together,
        name="flags-acknowledge-together",
    ),
    path(
        "flags/<uuid:pk>/resolve/",
        views.flag_resolve,
        name="flag-resolve",
    ),
    path("not-reported/", views.not_reported, name="not-reported"),
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/<uuid:pk>/", views.patient_detail, name="patient-detail"),
    path("patients/<uuid:pk>/edit/", views.patient_edit, name="patient-edit"),
    path("patients/<uuid:pk>/courses/new/", views.course_create, name="course-create"),
    path("courses/<uuid:pk>/", views.course_detail, name="course-detail"),
    path("courses/<uuid:pk>/edit/", views.course_edit, name="course-edit"),
    path(
        "courses/<uuid:pk>/charts/timeline.svg",
        views.course_chart,
        {"chart": "timeline"},
        name="course-chart-timeline",
    ),
    path(
        "courses/<uuid:pk>/charts/vitals.svg",
        views.course_chart,
        {"chart": "vitals"},
        name="course-chart-vitals",
    ),
    path(
        "courses/<uuid:pk>/dose-advice/override/",
        views.dose_advice_override,
        name="dose-advice-override",
    ),
    path("courses/<uuid:pk>/visits/new/", views.visit_create, name="visit-create"),
    path("courses/<uuid:pk>/reports/new/", views.report_create, name="report-create"),
    path("visits/<uuid:pk>/", views.visit_detail, name="visit-detail"),
    path("reports/<uuid:pk>/", views.report_detail, name="report-detail"),
    path("photos/<uuid:pk>/", photos.clinician_photo, name="photo"),
    path(
        "photos/<uuid:pk>/entered-in-error/",
        photos.clinician_photo_entered_in_error,
        name="photo-entered-in-error",
    ),
    path("records/<slug:kind>/<uuid:pk>/edit/", views.record_correct, name="record-correct"),
    path(
        "records/<slug:kind>/<uuid:pk>/entered-in-error/",
        views.record_entered_in_error,
        name="record-entered-in-error",
    ),
    path("records/<slug:kind>/<uuid:pk>/history/", views.record_history, name="record-history"),
    path("fragments/regimen/", views.therapy_regimen, name="therapy-regimen"),
    path(
        "fragments/ctcae-definitions/",
        views.ctcae_definitions_fragment,
        name="ctcae-definitions",
    ),
]
