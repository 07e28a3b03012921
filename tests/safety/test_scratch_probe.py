import pytest
from django.contrib.sessions.models import Session
from django.test import Client
pytestmark = pytest.mark.django_db

def test_probe(course):
    c = Client()
    r = c.get("/accounts/login/")
    print("login GET", r.status_code, Session.objects.count(), [s.get_decoded() for s in Session.objects.all()])
    r = c.post("/accounts/login/", {"login_view-current_step": "auth", "auth-username": "x", "auth-password": "y"})
    print("login POST bad", r.status_code, Session.objects.count(), [s.get_decoded() for s in Session.objects.all()])
    c = Client()
    r = c.post(f"/my/courses/{course.pk}/report/questions/", {"vomiting-frequency": "3", "action": "next"})
    print("anon step", r.status_code, Session.objects.count())
    assert False
