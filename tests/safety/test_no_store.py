"""No page or API answer is kept in a browser's or a proxy's cache: patients' data stays off a
shared computer's disk. Checked over every route of the access matrix (tests/test_access.py),
for each signed-in role that gets the route's content."""

import pytest
from django.utils.cache import get_max_age
from rest_framework.test import APIClient

from tests.test_access import MATRIX, ROLES, _url
from tests.test_access import world as world  # noqa: F401 (the access matrix's fixture)

pytestmark = pytest.mark.django_db

SIGNED_IN_ROLES = ROLES[1:]


def _roles(name):
    """The signed-in roles that get the route's content (2xx), or the first signed-in one."""
    expected = dict(zip(ROLES, MATRIX[name][2], strict=True))
    served = [role for role in SIGNED_IN_ROLES if 200 <= expected[role] < 300]
    return served or SIGNED_IN_ROLES[:1]


CASES = [(name, role) for name in MATRIX for role in _roles(name)]


@pytest.mark.parametrize("name, role", CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_every_answer_to_a_signed_in_user_says_no_store(world, name, role):  # noqa: F811
    method, kind, _expected = MATRIX[name]
    client = APIClient()
    client.force_login(world["users"][role])
    data = {"language": "fr", "next": "/"} if name == "set_language" else {}
    extra = {"format": "json"} if name.startswith("api:") and method == "post" else {}
    response = getattr(client, method)(_url(name, kind, world), data, **extra)
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives, f"{name} as {role}: {directives}"
    assert get_max_age(response) == 0


def test_an_api_answer_to_a_token_says_no_store(clinician, course):
    from tracker.api.tokens import issue_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(clinician)[1]}")
    response = client.get(f"/api/v1/courses/{course.pk}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
