from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("therapies", views.TherapyViewSet, basename="therapy")
router.register("courses", views.CourseViewSet, basename="course")
router.register("flags", views.FlagViewSet, basename="flag")

urlpatterns = [
    path(
        "schema/",
        login_not_required(SpectacularAPIView.as_view(permission_classes=[])),
        name="schema",
    ),
    path(
        "courses/<uuid:course_pk>/symptom-reports/",
        views.SymptomReportListCreate.as_view(),
        name="course-symptom-reports",
    ),
    path(
        "photos/<uuid:pk>/",
        views.ReportPhotoDownload.as_view(),
        name="report-photo",
    ),
    path(
        "courses/<uuid:course_pk>/visits/",
        views.VisitListCreate.as_view(),
        name="course-visits",
    ),
    path(
        "courses/<uuid:course_pk>/doses/",
        views.DoseListCreate.as_view(),
        name="course-doses",
    ),
    path(
        "courses/<uuid:pk>/summary.pdf",
        views.CourseSummaryPdf.as_view(),
        name="course-summary-pdf",
    ),
    path(
        "courses/<uuid:pk>/summary.csv",
        views.CourseSummaryCsv.as_view(),
        name="course-summary-csv",
    ),
    path(
        "courses/<uuid:pk>/summary.fhir.json",
        views.CourseSummaryFhir.as_view(),
        name="course-summary-fhir",
    ),
    *router.urls,
]
