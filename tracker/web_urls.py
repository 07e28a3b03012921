"""The web pages. Each audience has its own URL module (and views module); names live in the
"tracker" namespace: tracker:home, tracker:triage, tracker:patient-home, ..."""

from django.urls import include, path

from . import urls_accounts, urls_clinician, urls_exports, urls_patient
from .views import common

app_name = "tracker"

urlpatterns = [
    path("", common.home, name="home"),
    path("clinician/", include(urls_clinician)),
    path("my/", include(urls_patient)),
    path("exports/", include(urls_exports)),
    path("accounts/", include(urls_accounts)),
]
