"""Web pages for the patient part (included from tracker/web_urls.py, "tracker" namespace).

Patient-facing URLs carry UUIDs, never sequential ids.
"""

from django.urls import path

from .views import offline, patient, photos

urlpatterns = [
    path("", patient.home, name="patient-home"),
    path("manifest.webmanifest", offline.manifest, name="patient-manifest"),
    path("service-worker.js", offline.service_worker, name="patient-service-worker"),
    path("reports/", patient.reports, name="patient-reports"),
    path("reports/<uuid:pk>/", patient.report_detail, name="patient-report-detail"),
    path("reports/<uuid:pk>/photos/", photos.report_photos, name="patient-report-photos"),
    path("photos/<uuid:pk>/", photos.patient_photo, name="patient-photo"),
    path("photos/<uuid:pk>/remove/", photos.remove_photo, name="patient-photo-remove"),
    path("treatment/", patient.treatment, name="patient-treatment"),
    path("courses/<uuid:pk>/chart.svg", patient.grade_chart, name="patient-grade-chart"),
    path("courses/<uuid:pk>/report/", patient.report_symptoms, name="patient-report-create"),
    path(
        "courses/<uuid:pk>/report/questions/",
        patient.report_questions,
        name="patient-report-questions",
    ),
    path(
        "courses/<uuid:pk>/report/measurements/",
        patient.report_measurements,
        name="patient-report-measurements",
    ),
    path(
        "courses/<uuid:pk>/report/review/",
        patient.report_review,
        name="patient-report-review",
    ),
    path(
        "courses/<uuid:pk>/report/discard/",
        patient.report_discard,
        name="patient-report-discard",
    ),
]
