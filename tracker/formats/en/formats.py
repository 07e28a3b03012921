"""Dates in English pages, read in clinics where 06/12/2026 means 6 December: day first, the
month by its name, so that no date can be read the American way ("6 Dec 2026")."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
