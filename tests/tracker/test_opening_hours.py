"""Care team opening hours: open now, and when it next opens (tracker.schedule)."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories
from tracker.schedule import OpeningHours, is_open, next_opening

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
WEEKDAYS = OpeningHours(frozenset(range(5)), datetime.time(8), datetime.time(18))


def paris(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=PARIS)


# 2026-12-04 is a Friday, 2026-12-06 a Sunday, 2026-12-07 a Monday.


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        ("2026-12-04 17:59", True),
        ("2026-12-04 18:00", False),
        ("2026-12-07 07:59", False),
        ("2026-12-07 08:00", True),
        ("2026-12-05 10:00", False),  # Saturday
        ("2026-12-06 01:00", False),  # Sunday night
    ],
)
def test_a_team_is_open_from_opening_time_until_closing_time_on_its_days(when, open_):
    assert is_open(WEEKDAYS, paris(when)) is open_


@pytest.mark.parametrize(
    ("when", "opens"),
    [
        ("2026-12-04 18:00", "2026-12-07 08:00"),  # Friday closing -> Monday
        ("2026-12-06 01:00", "2026-12-07 08:00"),  # Sunday 1 a.m. -> Monday
        ("2026-12-07 07:00", "2026-12-07 08:00"),  # Monday before opening -> the same morning
        ("2026-12-07 08:00", "2026-12-08 08:00"),  # open now: the next opening is tomorrow's
        ("2026-12-03 19:30", "2026-12-04 08:00"),  # Thursday evening -> Friday
    ],
)
def test_the_next_opening(when, opens):
    assert next_opening(WEEKDAYS, paris(when)) == paris(opens)


def test_a_team_open_one_day_a_week_opens_again_a_week_later():
    mondays = OpeningHours(frozenset({0}), datetime.time(9), datetime.time(12))
    assert next_opening(mondays, paris("2026-12-07 12:00")) == paris("2026-12-14 09:00")


def test_a_team_without_open_days_is_never_open():
    never = OpeningHours(frozenset(), datetime.time(8), datetime.time(18))
    assert not is_open(never, paris("2026-12-07 10:00"))
    assert next_opening(never, paris("2026-12-07 10:00")) is None


def test_the_next_opening_keeps_the_clinic_wall_clock_across_a_time_change():
    # Paris leaves summer time on Sunday 2026-10-25: Friday 18:00 is UTC+2, Monday 08:00 UTC+1.
    opening = next_opening(WEEKDAYS, paris("2026-10-23 18:00"))
    assert opening == paris("2026-10-26 08:00")
    assert opening.utcoffset() == datetime.timedelta(hours=1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("utc", "open_"),
    [
        # Friday 17:59 and 18:00 in Paris (UTC+1 in December).
        ("2026-12-04 16:59+00:00", True),
        ("2026-12-04 17:00+00:00", False),
    ],
)
def test_a_care_team_reads_its_hours_in_the_clinic_time_zone(settings, utc, open_):
    settings.TIME_ZONE = "Europe/Paris"
    team = factories.CareTeamFactory()  # Monday-Friday 08:00-18:00 by default
    at = datetime.datetime.fromisoformat(utc)
    assert team.is_open(at) is open_
    assert team.phone_now(at) == ("+33 1 23 45 67 89" if open_ else "+33 1 98 76 54 32")


@pytest.mark.django_db
def test_a_closed_team_without_its_own_out_of_hours_number_gives_the_clinics(settings):
    settings.CLINIC_OUT_OF_HOURS_PHONE = "+33 1 11 11 11 11"
    team = factories.CareTeamFactory(out_of_hours_phone="")
    sunday_night = datetime.datetime.fromisoformat("2026-12-06 00:00+00:00")
    assert team.phone_now(sunday_night) == "+33 1 11 11 11 11"
    assert team.next_opening(sunday_night) == paris("2026-12-07 08:00")


@pytest.mark.django_db
def test_closing_time_must_come_after_opening_time():
    team = factories.CareTeamFactory.build(opens_at=datetime.time(18), closes_at=datetime.time(8))
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "closes_at" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("days", [[7], [-1], "0,1", [0, "1"]])
def test_open_days_are_weekdays(days):
    team = factories.CareTeamFactory.build(open_days=days)
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "open_days" in error.value.message_dict


@pytest.mark.django_db
def test_the_hours_in_words(settings):
    team = factories.CareTeamFactory.build()
    assert team.opening_hours_in_words == "Monday to Friday, 08:00 to 18:00"
    team.open_days = [0, 2]
    assert team.opening_hours_in_words == "Monday, Wednesday, 08:00 to 18:00"


@pytest.mark.django_db
def test_an_administrator_sets_the_hours_and_out_of_hours_number_in_the_admin(
    client, admin_user, care_team
):
    client.force_login(admin_user)
    url = reverse("admin:tracker_careteam_change", args=[care_team.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": care_team.name,
            "phone": care_team.phone,
            "members": [m.pk for m in care_team.members.all()],
            "open_days": ["0", "1", "2", "3", "4", "5"],
            "opens_at": "09:00",
            "closes_at": "13:00",
            "out_of_hours_phone": "+33 1 45 67 00 00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    care_team.refresh_from_db()
    assert care_team.open_days == [0, 1, 2, 3, 4, 5]
    assert (care_team.opens_at, care_team.closes_at) == (datetime.time(9), datetime.time(13))
    assert care_team.out_of_hours_phone == "+33 1 45 67 00 00"
    # Saturday 10:00 in Paris is now open.
    assert care_team.is_open(datetime.datetime.fromisoformat("2026-12-05 09:00+00:00"))
