"""Dates cannot be misread: day first with the month by name in English pages, and French
month abbreviations that tell June from July."""

import datetime

from django.utils import translation
from django.utils.formats import date_format

from tracker.exports import pdf

JUNE_6 = datetime.date(2026, 6, 6)
JULY_6 = datetime.date(2026, 7, 6)
DEC_6_AT_2 = datetime.datetime(2026, 12, 6, 14, 5)  # noqa: DTZ001 (a wall-clock time, zone set where used)


def test_english_pages_write_the_day_first_and_the_month_by_name():
    with translation.override("en"):
        assert date_format(DEC_6_AT_2.date(), "SHORT_DATE_FORMAT") == "6 Dec 2026"
        assert date_format(DEC_6_AT_2.date(), "DATE_FORMAT") == "6 Dec 2026"
        assert date_format(DEC_6_AT_2, "SHORT_DATETIME_FORMAT") == "6 Dec 2026 14:05"
        assert date_format(DEC_6_AT_2, "DATETIME_FORMAT") == "6 Dec 2026 14:05"


def test_french_pages_write_the_day_first_and_the_month_in_full():
    with translation.override("fr"):
        assert date_format(JUNE_6, "SHORT_DATE_FORMAT") == "06/06/2026"
        assert date_format(JUNE_6, "DATE_FORMAT") == "6 juin 2026"
        assert date_format(JULY_6, "DATE_FORMAT") == "6 juillet 2026"


def test_printed_dates_tell_june_from_july_in_french():
    with translation.override("fr"):
        june, july = date_format(JUNE_6, pdf.DATE_FORMAT), date_format(JULY_6, pdf.DATE_FORMAT)
    assert (june, july) == ("6 juin 2026", "6 juil. 2026")


def test_a_printed_date_of_birth_is_written_in_full():
    born = datetime.date(1965, 4, 12)
    with translation.override("fr"):
        assert date_format(born, pdf.BIRTH_DATE_FORMAT) == "12 avril 1965"
    with translation.override("en"):
        assert date_format(born, pdf.BIRTH_DATE_FORMAT) == "12 April 1965"
