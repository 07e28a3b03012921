from django.db import migrations, models


class Migration(migrations.Migration):
    """The flag's explanation as raised (English) keeps its text under a new name; the parts
    that pages render in their reader's language are stored beside it (empty for flags raised
    before: those show their English text)."""

    dependencies = [
        ("tracker", "0013_catalog_labels_flag_catalog_version"),
    ]

    operations = [
        migrations.RenameField(model_name="flag", old_name="message", new_name="message_en"),
        migrations.RenameField(
            model_name="historicalflag", old_name="message", new_name="message_en"
        ),
        migrations.AlterField(
            model_name="flag",
            name="message_en",
            field=models.TextField(verbose_name="explanation (English, as raised)"),
        ),
        migrations.AlterField(
            model_name="historicalflag",
            name="message_en",
            field=models.TextField(verbose_name="explanation (English, as raised)"),
        ),
        migrations.AddField(
            model_name="flag",
            name="message_parts",
            field=models.JSONField(blank=True, default=list, verbose_name="explanation parts"),
        ),
        migrations.AddField(
            model_name="historicalflag",
            name="message_parts",
            field=models.JSONField(blank=True, default=list, verbose_name="explanation parts"),
        ),
    ]
