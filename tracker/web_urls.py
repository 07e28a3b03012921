from django.urls import path

from .views import common

app_name = "tracker"

urlpatterns = [
    path("", common.home, name="home"),
]
