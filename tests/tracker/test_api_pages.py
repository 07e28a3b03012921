"""API lists a page at a time on request (`?limit=`, `?cursor=`), the body still the plain list.

`GET /api/v1/courses/` and `GET /api/v1/courses/{id}/flags/` are plain lists in the contract
(PRODUCT.md §7): without the parameters they answer as before; with them, a page and a
`Link: <URL>; rel="next"` header (RFC 8288) while rows are left.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from therapies.models import SideEffectTerm
from tracker.models import Course, Flag, FlagLevel, FlagStatus

pytestmark = pytest.mark.django_db

URGENCY = {FlagLevel.URGENT: 0, FlagLevel.REVIEW: 1, FlagLevel.INFO: 2}


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def next_link(response):
    """The URL of rel="next" in the Link header (RFC 8288), or None."""
    header = response.headers.get("Link")
    if header is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert match, header
    return match.group(1)


def walk(client, url):
    """Every page from `url` on, following the Link header: (rows of each page, answers)."""
    pages, answers = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        assert isinstance(response.json(), list)
        pages.append(response.json())
        answers.append(response)
        url = next_link(response)
    return pages, answers


@pytest.fixture
def seven_courses(patient):
    """Seven courses of the clinician's team, three of them starting the same day (ties)."""
    today = timezone.localdate()
    days = [0, 3, 3, 3, 8, 20, 41]
    return [
        factories.CourseFactory(
            patient=factories.PatientFactory(care_team=patient.care_team),
            start_date=today - datetime.timedelta(days=day),
        )
        for day in days
    ]


def _flag(course, level, created_at, status=FlagStatus.OPEN):
    return Flag.objects.create(
        course=course,
        level=level,
        rule="test",
        term=SideEffectTerm.objects.get(slug="fever"),
        value="38.5",
        threshold="38.0",
        message_en="Fever",
        source="test",
        status=status,
        created_at=created_at,
    )


@pytest.fixture
def nine_flags(course):
    """Nine flags on one course: every level, two pairs raised at the same instant (ties)."""
    now = timezone.now().replace(microsecond=0)
    hour = datetime.timedelta(hours=1)
    plan = [
        (FlagLevel.URGENT, now),
        (FlagLevel.URGENT, now),  # same instant as the one before
        (FlagLevel.URGENT, now - 5 * hour),
        (FlagLevel.REVIEW, now - hour),
        (FlagLevel.REVIEW, now - 2 * hour),
        (FlagLevel.INFO, now - hour),
        (FlagLevel.INFO, now - hour),  # same instant again
        (FlagLevel.INFO, now - 3 * hour),
        (FlagLevel.INFO, now - 9 * hour, FlagStatus.RESOLVED),
    ]
    return [_flag(course, *row) for row in plan]


def flags_url(course):
    return f"/api/v1/courses/{course.pk}/flags/"


# --- Without the parameters: the plain list, as before -------------------------------------------


def test_the_course_list_without_parameters_is_the_whole_plain_list(clinician, seven_courses):
    response = client_for(clinician).get("/api/v1/courses/")
    assert response.status_code == 200
    assert "Link" not in response.headers
    listed = response.json()
    assert sorted(c["id"] for c in listed) == sorted(str(c.pk) for c in seven_courses)
    starts = [c["start_date"] for c in listed]
    assert starts == sorted(starts, reverse=True)  # newest start first, as before


def test_a_courses_flags_without_parameters_are_the_whole_plain_list(clinician, course, nine_flags):
    response = client_for(clinician).get(flags_url(course))
    assert response.status_code == 200
    assert "Link" not in response.headers
    listed = response.json()
    assert sorted(f["id"] for f in listed) == sorted(str(f.pk) for f in nine_flags)
    ranks = [URGENCY[f["level"]] for f in listed]
    assert ranks == sorted(ranks)  # most urgent first, as before


# --- Pages: every row exactly once, in the list's order ------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 200])
def test_course_pages_give_every_course_once(clinician, seven_courses, limit):
    client = client_for(clinician)
    pages, answers = walk(client, f"/api/v1/courses/?limit={limit}")
    rows = [c["id"] for page in pages for c in page]
    assert len(rows) == len(set(rows)) == 7
    assert set(rows) == {str(c.pk) for c in seven_courses}
    assert all(len(page) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= limit
    assert len(pages) == -(-7 // limit)
    starts = [c["start_date"] for page in pages for c in page]
    assert starts == sorted(starts, reverse=True)
    assert "Link" not in answers[-1].headers
    assert all("Link" in answer.headers for answer in answers[:-1])


@pytest.mark.parametrize("limit", [1, 2, 4, 9])
def test_flag_pages_follow_the_plain_lists_order(clinician, course, nine_flags, limit):
    client = client_for(clinician)
    whole = [f["id"] for f in client.get(flags_url(course)).json()]
    pages, answers = walk(client, f"{flags_url(course)}?limit={limit}")
    rows = [f["id"] for page in pages for f in page]
    assert len(rows) == len(set(rows)) == 9
    # Same rows; within ties (same level and instant) the plain list's order is the
    # database's, so the order is compared where the sort keys differ.
    assert set(rows) == set(whole)
    by_id = {str(f.pk): f for f in nine_flags}
    keys = [(URGENCY[by_id[r].level], -by_id[r].created_at.timestamp()) for r in rows]
    assert keys == sorted(keys)
    assert "Link" not in answers[-1].headers


def test_a_cursor_without_a_limit_gives_pages_of_fifty(clinician, course, nine_flags):
    response = client_for(clinician).get(f"{flags_url(course)}?cursor=")
    assert response.status_code == 200
    assert len(response.json()) == 9
    assert "Link" not in response.headers


def test_the_next_link_keeps_the_filters_and_the_limit(clinician, course, nine_flags):
    client = client_for(clinician)
    pages, _answers = walk(client, f"{flags_url(course)}?level=info&limit=1")
    assert [len(page) for page in pages] == [1, 1, 1, 1]
    assert {f["level"] for page in pages for f in page} == {"info"}


def test_a_courses_flags_filter_by_status_and_level(clinician, course, nine_flags):
    client = client_for(clinician)
    assert len(client.get(f"{flags_url(course)}?level=urgent").json()) == 3
    assert len(client.get(f"{flags_url(course)}?status=resolved").json()) == 1
    assert len(client.get(f"{flags_url(course)}?status=open&level=info").json()) == 3


def test_a_page_link_is_an_absolute_url_with_an_opaque_cursor(clinician, seven_courses):
    response = client_for(clinician).get("/api/v1/courses/?limit=2")
    link = next_link(response)
    assert link.startswith("http://testserver/api/v1/courses/?")
    cursor = re.search(r"cursor=([^&]+)", link).group(1)
    # Neither a row's id nor its start date can be read from it.
    last = response.json()[-1]
    assert last["id"] not in cursor
    assert last["start_date"] not in cursor


# --- Bad parameters: 400 with a message, never 500 -----------------------------------------------


@pytest.mark.parametrize("limit", ["0", "201", "-1", "ten", "", "2.5", " 3", "١"])
def test_a_bad_limit_is_refused_with_400(clinician, course, nine_flags, limit):
    client = client_for(clinician)
    for url in ("/api/v1/courses/", flags_url(course)):
        response = client.get(url, {"limit": limit})
        assert response.status_code == 400, (url, limit)
        assert response.json()["limit"] == ["The limit must be a whole number from 1 to 200."]


def _second_page_cursor(client, url):
    link = next_link(client.get(url))
    return re.search(r"cursor=([^&]+)", link).group(1)


def test_a_bad_cursor_is_refused_with_400(clinician, course, nine_flags, seven_courses):
    client = client_for(clinician)
    course_cursor = _second_page_cursor(client, "/api/v1/courses/?limit=2")
    flag_cursor = _second_page_cursor(client, f"{flags_url(course)}?limit=2")
    tampered = flag_cursor[:-3] + ("AAA" if not flag_cursor.endswith("AAA") else "BBB")
    for url, cursor in [
        (flags_url(course), "garbage"),
        (flags_url(course), tampered),
        (flags_url(course), flag_cursor[:10]),
        (flags_url(course), course_cursor),  # another list's cursor
        ("/api/v1/courses/", flag_cursor),
        ("/api/v1/courses/", "e30"),  # base64 of "{}", unsigned
    ]:
        response = client.get(f"{url}?limit=2&cursor={cursor}")
        assert response.status_code == 400, (url, cursor)
        assert "cursor" in response.json()


def test_empty_or_bad_filters_are_refused_with_400(clinician, course, nine_flags):
    client = client_for(clinician)
    for query in ("level=", "status=closed", "level=URGENT&limit=2"):
        response = client.get(f"{flags_url(course)}?{query}")
        assert response.status_code == 400, query
        assert query.split("=")[0] in response.json()


# --- Scope ---------------------------------------------------------------------------------------


def test_pages_never_hold_another_teams_courses(
    clinician, other_clinician, seven_courses, other_course
):
    mine, _answers = walk(client_for(clinician), "/api/v1/courses/?limit=3")
    assert str(other_course.pk) not in {c["id"] for page in mine for c in page}
    theirs, _answers = walk(client_for(other_clinician), "/api/v1/courses/?limit=3")
    assert [c["id"] for page in theirs for c in page] == [str(other_course.pk)]
    # A cursor taken from one clinician's list gives the other only their own rows.
    cursor = _second_page_cursor(client_for(clinician), "/api/v1/courses/?limit=2")
    response = client_for(other_clinician).get(f"/api/v1/courses/?limit=2&cursor={cursor}")
    assert {c["id"] for c in response.json()} <= {str(other_course.pk)}


def test_another_teams_course_flags_are_404_with_or_without_pages(
    other_clinician, course, nine_flags
):
    client = client_for(other_clinician)
    assert client.get(flags_url(course)).status_code == 404
    assert client.get(f"{flags_url(course)}?limit=2").status_code == 404


# --- Cost: the same number of queries on every page ----------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), next_link(response)


def test_every_page_costs_the_same_number_of_queries(clinician, course, nine_flags, seven_courses):
    client = client_for(clinician)
    for whole in ("/api/v1/courses/", flags_url(course)):
        client.get(whole)  # caches that fill once per process
        counts = []
        url = f"{whole}?limit=2"
        while url:
            count, url = _queries(client, url)
            counts.append(count)
        assert len(counts) >= 4
        assert len(set(counts)) == 1, (whole, counts)
        # and as many as the whole list: the page is read in one query, as the list is
        assert counts[0] == _queries(client, whole)[0], whole


def test_a_page_costs_the_same_queries_with_more_rows(clinician, course, nine_flags, patient):
    client = client_for(clinician)
    url = "/api/v1/courses/?limit=2"
    client.get(url)
    before, _link = _queries(client, url)
    for _ in range(6):
        factories.CourseFactory(patient=factories.PatientFactory(care_team=patient.care_team))
    for index in range(20):
        _flag(course, FlagLevel.REVIEW, timezone.now() - datetime.timedelta(minutes=index))
    assert _queries(client, url)[0] == before
    assert Course.objects.count() >= 7
    flags_before, _link = _queries(client, f"{flags_url(course)}?limit=2")
    for index in range(20):
        _flag(course, FlagLevel.INFO, timezone.now() - datetime.timedelta(days=index))
    assert _queries(client, f"{flags_url(course)}?limit=2")[0] == flags_before


# --- The flag list (`/api/v1/flags/`): offset pages with a count, sorted a level at a time ------


def _flag_list_pages(client, query):
    """Every page of /api/v1/flags/ from offset 0, following `next`: (rows, first answer)."""
    first = client.get(f"/api/v1/flags/?{query}").json()
    rows, answer = [], first
    while True:
        assert answer["count"] == first["count"]
        rows += answer["results"]
        if answer["next"] is None:
            return rows, first
        answer = client.get(answer["next"]).json()


@pytest.fixture
def team_flags(course, nine_flags, patient, other_course):
    """The nine flags, four more on a second course of the team (two at an instant the first
    course's flags share), and another team's flags, which no page may hold."""
    second = factories.CourseFactory(patient=factories.PatientFactory(care_team=patient.care_team))
    instant = nine_flags[0].created_at
    more = [
        _flag(second, FlagLevel.URGENT, instant),
        _flag(second, FlagLevel.REVIEW, instant - datetime.timedelta(minutes=30)),
        _flag(second, FlagLevel.INFO, instant - datetime.timedelta(hours=1)),
        _flag(second, FlagLevel.INFO, instant, FlagStatus.ACKNOWLEDGED),
    ]
    _flag(other_course, FlagLevel.URGENT, instant)
    _flag(other_course, FlagLevel.INFO, instant)
    return nine_flags + more


def _documented_order(flags):
    """The list's order as its description states it (most urgent first, newest first within
    a level), the id breaking ties so that offset pages never repeat or skip a row."""
    ordered = sorted(flags, key=lambda f: (URGENCY[f.level], -f.created_at.timestamp(), f.pk.hex))
    return [str(f.pk) for f in ordered]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 13, 50])
def test_flag_list_pages_hold_every_flag_of_the_team_once_in_order(clinician, team_flags, limit):
    rows, first = _flag_list_pages(client_for(clinician), f"limit={limit}")
    assert first["count"] == 13
    assert [f["id"] for f in rows] == _documented_order(team_flags)


@pytest.mark.parametrize("offset", [0, 1, 2, 3, 4, 5, 6, 9, 12, 13, 14, 40])
def test_a_flag_list_page_at_any_offset_is_that_slice_of_the_list(clinician, team_flags, offset):
    answer = client_for(clinician).get(f"/api/v1/flags/?limit=4&offset={offset}").json()
    assert answer["count"] == 13
    assert [f["id"] for f in answer["results"]] == _documented_order(team_flags)[offset:][:4]


@pytest.mark.parametrize(
    "query, kept",
    [
        ("status=open", lambda f: f.status == FlagStatus.OPEN),
        ("level=info", lambda f: f.level == FlagLevel.INFO),
        ("status=open&level=urgent", lambda f: (f.status, f.level) == ("open", "urgent")),
        ("status=acknowledged", lambda f: f.status == FlagStatus.ACKNOWLEDGED),
    ],
)
def test_filtered_flag_list_pages_follow_the_same_order(clinician, team_flags, query, kept):
    rows, first = _flag_list_pages(client_for(clinician), f"{query}&limit=2")
    expected = _documented_order([f for f in team_flags if kept(f)])
    assert first["count"] == len(expected)
    assert [f["id"] for f in rows] == expected


def test_flag_list_pages_cost_the_same_queries_at_every_offset(clinician, team_flags):
    client = client_for(clinician)
    client.get("/api/v1/flags/")  # caches that fill once per process
    counts = {
        offset: _queries(client, f"/api/v1/flags/?limit=3&offset={offset}")[0]
        for offset in (0, 2, 3, 8, 11)
    }
    assert len(set(counts.values())) == 1, counts
