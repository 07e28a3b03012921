"""Web pages for the exports part (included from tracker/web_urls.py, "tracker" namespace)."""

from django.urls import path

from .views import exports as views

urlpatterns = [
    path("courses/<uuid:pk>/summary.pdf", views.course_summary_pdf, name="export-course-pdf"),
    path("courses/<uuid:pk>/summary.csv", views.course_summary_csv, name="export-course-csv"),
    path(
        "courses/<uuid:pk>/summary.fhir.json",
        views.course_summary_fhir,
        name="export-course-fhir",
    ),
    path("codebook.csv", views.codebook_csv, name="export-codebook"),
    path("cohort/", views.cohort, name="export-cohort"),
]
