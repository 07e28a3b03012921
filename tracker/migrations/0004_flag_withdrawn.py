from django.db import migrations, models
from django.db.models import Q

# tracker.services.ENTERED_IN_ERROR_NOTE, as flags resolved by "entered in error" carry it.
ENTERED_IN_ERROR_PREFIX = "Record entered in error: "


def withdraw_flags_of_records_entered_in_error(apps, schema_editor):
    """Flags resolved because their record was entered in error, before the field existed."""
    Flag = apps.get_model("tracker", "Flag")
    Flag.objects.filter(
        Q(resolved_note__startswith=ENTERED_IN_ERROR_PREFIX)
        | Q(report__entered_in_error=True)
        | Q(visit__entered_in_error=True)
    ).update(withdrawn=True)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0003_flag_triage_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="flag",
            name="withdrawn",
            field=models.BooleanField(
                default=False, verbose_name="withdrawn (record entered in error)"
            ),
        ),
        migrations.AddField(
            model_name="historicalflag",
            name="withdrawn",
            field=models.BooleanField(
                default=False, verbose_name="withdrawn (record entered in error)"
            ),
        ),
        migrations.RunPython(withdraw_flags_of_records_entered_in_error, migrations.RunPython.noop),
    ]
