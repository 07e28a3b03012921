"""The product's URLs plus the floor: the cheapest page a signed-in user can get."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from config.urls import handler404  # noqa: F401
from config.urls import urlpatterns as product_urls


def floor(request):
    """A minimal authenticated view behind the full middleware stack.

    LoginRequiredMiddleware has already loaded the session and the user to let the request
    in; the view only says who it is. Every page costs at least this much.
    """
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


LAYOUT = engines["django"].from_string(
    "{% extends 'base.html' %}{% block content %}<p>ok</p>{% endblock %}"
)


def layout(request):
    """An empty page in the site's layout: what every page pays for its frame (base template,
    navigation and its context processors), for reference beside the floor."""
    return HttpResponse(LAYOUT.render({}, request))


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/layout/", layout, name="bench-layout"),
    *product_urls,
]
