"""A course's flags are found by `flag_course_level_idx` (course, level), which also counts and
sorts the API's flag list a level at a time; the course's own index goes, so a flag's insert
maintains as many indexes as before, of the same size (PostgreSQL deduplicates both). The new
index is built before the old one is dropped: no moment without an index on the course."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("therapies", "0007_catalog_words_french_names"),
        ("tracker", "0022_regimen_text_full_stop"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(fields=["course", "level"], name="flag_course_level_idx"),
        ),
        migrations.AlterField(
            model_name="flag",
            name="course",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="flags",
                to="tracker.course",
            ),
        ),
    ]
