"""The high-dose IL-2 regimen's last sentence ends with a full stop, not a stray ";" (left when
a clause was removed from the catalog text).

A course that keeps the catalog's regimen stores its text; such a course is moved to the
corrected text, so that it still reads as the catalog's regimen (in the reader's language)
rather than as a clinician's own words. Each moved course gets a history row saying why; the
therapy's own row is corrected too, so that both agree before the next `load_catalog`.
"""

from django.db import migrations
from django.utils import timezone

BEFORE = (
    "600,000 IU/kg (0.037 mg/kg) IV over 15 minutes every 8 hours, at most 14 doses per cycle. "
    "Cycle 1 on days 1–5, rest on days 6–14, cycle 2 on days 15–19: at most 28 doses (2 cycles) "
    "per course. Reassess about 4 weeks after a course [PL-DOSE][PL-OLD]. No dose reduction: "
    "withhold or permanently discontinue for toxicity [PL-T2]. Give in hospital with an "
    "intensive care facility available [PL-BW]. In practice 8–12 doses are tolerated in the "
    "first cycle [SCHW2001];"
)
AFTER = BEFORE[:-1] + "."
REASON = "Catalog regimen text corrected: a stray ';' at its end became a full stop."


def _move(apps, old, new):
    therapy_model = apps.get_model("therapies", "Therapy")
    course_model = apps.get_model("tracker", "Course")
    history_model = apps.get_model("tracker", "HistoricalCourse")
    therapy_model.objects.filter(regimen=old).update(regimen=new)
    now = timezone.now()
    fields = [field.attname for field in course_model._meta.concrete_fields]
    moved = []
    for course in course_model.objects.filter(regimen=old).iterator(chunk_size=500):
        course.regimen = new
        moved.append(course.pk)
        history_model.objects.create(
            **{name: getattr(course, name) for name in fields},
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
            history_user_id=None,
        )
    course_model.objects.filter(pk__in=moved).update(regimen=new)


def forward(apps, schema_editor):
    _move(apps, BEFORE, AFTER)


def backward(apps, schema_editor):
    _move(apps, AFTER, BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0021_flag_sources_message_parts"),
        ("therapies", "0007_catalog_words_french_names"),
    ]

    operations = [migrations.RunPython(forward, backward)]
