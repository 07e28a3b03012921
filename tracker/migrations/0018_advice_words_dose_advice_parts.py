from django.db import migrations


def _convert(apps, schema_editor):
    """Stored dose advice written as English sentences: each line read back as parts (criterion,
    values, thresholds, sources), so that it is worded in its reader's language when shown. A
    line that cannot be read back is kept as text."""
    from tracker import advice_text

    terms = apps.get_model("therapies", "SideEffectTerm")
    slugs = dict(terms.objects.values_list("ctcae_term", "slug"))
    for name in ("Visit", "HistoricalVisit"):
        model = apps.get_model("tracker", name)
        for row in model.objects.exclude(dose_advice=None).iterator():
            converted = advice_text.stored_as_parts(row.dose_advice, slugs)
            if converted is not row.dose_advice:
                model.objects.filter(pk=row.pk).update(dose_advice=converted)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0017_pdf_ahead_rendered_pdfs"),
        ("therapies", "0005_clinical_words_french_names"),
    ]

    operations = [migrations.RunPython(_convert, migrations.RunPython.noop)]
