"""A backup taken while the app runs restores to exactly what was there."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tracker import services
from tracker.models import SymptomReport

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_then_restore_brings_back_the_data_as_it_was(course, patient, tmp_path, capsys):
    kept = services.submit_report(
        course=course, by=patient.user, measurements={"temperature_c": 37}
    )
    call_command("backup", output=str(tmp_path))
    path = capsys.readouterr().out.split("Backup written to ")[1].strip()

    services.submit_report(course=course, by=patient.user, measurements={"temperature_c": 38})
    assert SymptomReport.objects.count() == 2

    call_command("restore", path, yes=True)
    assert list(SymptomReport.objects.values_list("id", flat=True)) == [kept.pk]
    assert kept.flags.count() == 0 and SymptomReport.objects.get().temperature_c == 37


def test_restore_needs_confirmation(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "missing"))


def test_restore_of_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No backup"):
        call_command("restore", str(tmp_path / "missing"), yes=True)
