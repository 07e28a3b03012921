"""E-mails are plain text where they are plain text: an ampersand or an apostrophe in a care
team's or a patient's name reads as typed in the subject and the text part, and is escaped only
in the HTML part."""

import pytest
from django.urls import reverse

from tests import factories
from tracker import emails

pytestmark = pytest.mark.django_db

TEAM = "Oncology & Immunotherapy Unit"
NAME = "D'Arcy <Jo>"


@pytest.fixture
def named_team(care_team):
    care_team.name = TEAM
    care_team.save()
    return care_team


def test_the_invitation_subject_and_text_read_as_typed_and_the_html_is_escaped(
    client, clinician, named_team, mailoutbox, django_capture_on_commit_callbacks
):
    unlinked = factories.PatientFactory(care_team=named_team, user=None, given_name=NAME)
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("tracker:patient-invite", args=[unlinked.pk]),
            {"email": "darcy@example.org", "preferred_language": "en", "next": "/back/"},
        )
    (email,) = mailoutbox
    assert email.subject == f"{TEAM}: your account to report side effects"
    assert "&amp;" not in email.subject and "&#x27;" not in email.body
    assert f"{TEAM} has opened an account" in email.body
    assert f"Hello {NAME}," in email.body
    html = email.alternatives[0][0]
    assert "Oncology &amp; Immunotherapy Unit" in html
    assert "D&#x27;Arcy &lt;Jo&gt;" in html and NAME not in html


def test_the_subject_in_french_keeps_the_ampersand_too(named_team):
    subject, text, html = emails.render(
        "patient_invitation",
        {
            "care_team": named_team,
            "patient": factories.PatientFactory(care_team=named_team, user=None),
            "user": factories.PatientUserFactory(),
            "link": "https://example.org/x/",
            "valid_days": 7,
        },
        language="fr",
    )
    assert TEAM in subject and "&amp;" not in subject
    assert TEAM in text
    assert "Oncology &amp; Immunotherapy Unit" in html
