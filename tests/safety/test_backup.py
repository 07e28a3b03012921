"""A backup taken while the app runs restores to exactly what was there."""

import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tracker import services
from tracker.models import Course, SymptomReport

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_then_restore_brings_back_the_data_as_it_was(course, patient, tmp_path, capsys):
    kept = services.submit_report(
        course=course, by=patient.user, measurements={"temperature_c": 37}
    ).report
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


# --- What a backup holds, and who can read it -------------------------------------------------


def _backup(tmp_path, capsys, directory="backups"):
    call_command("backup", output=str(tmp_path / directory))
    return Path(capsys.readouterr().out.split("Backup written to ")[1].strip())


def test_the_backup_directory_and_file_are_private(tmp_path, capsys):
    os.umask(0o022)  # a usual login shell's umask: files 0644, directories 0755
    path = _backup(tmp_path, capsys, directory="nested/backups")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.umask(0o022) == 0o022  # put back as it was
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def test_a_file_in_an_existing_directory_is_private_too(tmp_path, capsys):
    os.umask(0o022)
    (tmp_path / "shared").mkdir(mode=0o755)
    path = _backup(tmp_path, capsys, directory="shared")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sessions_are_left_out_of_the_backup(client, clinician, tmp_path, capsys):
    client.force_login(clinician)
    session_key = client.session.session_key
    assert Session.objects.filter(session_key=session_key).exists()
    path = _backup(tmp_path, capsys)
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(path)
        try:
            assert copy.execute("SELECT COUNT(*) FROM django_session").fetchone() == (0,)
            assert copy.execute("SELECT COUNT(*) FROM tracker_user").fetchone()[0] >= 1
        finally:
            copy.close()
        assert session_key.encode() not in path.read_bytes()
    else:  # a pg_dump archive: its SQL holds the users but no session
        sql = subprocess.run(
            ["pg_restore", "--file=-", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert "COPY public.tracker_user" in sql
        assert session_key not in sql


def test_restoring_a_corrupt_file_is_a_clear_error_and_changes_nothing(course, tmp_path):
    bad = tmp_path / "tracker-corrupt.sqlite3"
    bad.write_bytes(b"this is not a database " * 100)
    with pytest.raises(CommandError, match="is not a whole backup") as error:
        call_command("restore", str(bad), yes=True)
    assert "Nothing was restored" in str(error.value)
    assert Course.objects.filter(pk=course.pk).exists()


def test_restoring_a_truncated_backup_is_a_clear_error(course, tmp_path, capsys):
    whole = _backup(tmp_path, capsys)
    cut = tmp_path / "tracker-truncated.sqlite3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(CommandError, match="is not a whole backup"):
        call_command("restore", str(cut), yes=True)
    assert Course.objects.filter(pk=course.pk).exists()


def test_restoring_another_sqlite_database_is_refused(tmp_path):
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    # SQLite reads the file and finds no tracker table; pg_restore cannot read it at all.
    expected = "holds no tracker database" if connection.vendor == "sqlite" else "not a whole"
    with pytest.raises(CommandError, match=expected):
        call_command("restore", str(other), yes=True)


# --- The patients' photos travel with the database --------------------------------------------


def _photo(report, by, colour):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tracker import photos

    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="PNG")
    upload = SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")
    return services.add_report_photo(
        report=report, by=by, subject="rash", photo=photos.clean_photo(upload)
    )


def test_report_photos_come_back_with_the_database(course, patient, tmp_path, capsys, photos_dir):
    import tarfile

    from tracker.backup import photos_archive
    from tracker.models import ReportPhoto

    report = services.submit_report(course=course, by=patient.user, measurements={}).report
    kept = _photo(report, patient.user, "red")
    kept_bytes = kept.file.open("rb").read()
    path = _backup(tmp_path, capsys)
    archive = photos_archive(path)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # as private as the database file
    with tarfile.open(archive) as tar:
        assert tar.getnames() == [kept.file.name]  # the storage's name, nothing about the patient

    # Lost after the backup: the file gone from the storage, and a photo added since.
    kept.file.storage.delete(kept.file.name)
    later = _photo(report, patient.user, "blue")
    call_command("restore", str(path), yes=True)

    assert list(ReportPhoto.objects.values_list("id", flat=True)) == [kept.pk]
    restored = ReportPhoto.objects.get()
    assert restored.file.open("rb").read() == kept_bytes
    assert later.pk != kept.pk


def test_a_backup_without_photos_writes_no_archive(tmp_path, capsys):
    path = _backup(tmp_path, capsys)
    assert [p.name for p in path.parent.iterdir()] == [path.name]
