"""Backups of the database, safe while the app runs, and their restore.

SQLite: the online backup API copies a consistent snapshot page by page while writers carry on
(the WAL keeps them apart). PostgreSQL: pg_dump in its custom format (a consistent snapshot in
one transaction), restored with pg_restore. Backups are readable by their owner only and hold
no sign-in sessions; they still hold patients' records and two-factor secrets: keep them on an
encrypted volume or encrypt them (README "Backups").

The patients' report photos live in the private photo storage, not in the database: they travel
with the database file in a tar archive beside it (<backup>.photos.tar, 0600), and come back
into the photo storage on restore.
"""

import contextlib
import datetime
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.core.files import File
from django.db import connections


class BackupError(Exception):
    pass


def _settings(alias):
    return connections[alias].settings_dict


def _vendor(alias):
    return connections[alias].vendor


# Left out of every backup: sign-in sessions (restoring them would sign people back in, and a
# stolen backup would hand over live sessions) and the cache (derived, rebuilt on use).
# Everyone signs in again after a restore.
LEFT_OUT_TABLES = ("django_session", "tracker_cache")


@contextlib.contextmanager
def _private_files():
    """Files and directories created inside are readable by their owner only (0600, 0700)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def backup(directory: Path, *, alias: str = "default", now=None) -> Path:
    """Write a timestamped backup into `directory` (created 0700; the file is 0600, without
    sessions); return its path."""
    directory = Path(directory)
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    vendor = _vendor(alias)
    with _private_files():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if vendor == "sqlite":
            target = directory / f"tracker-{stamp}.sqlite3"
            partial = directory / f".{target.name}.partial"
            try:
                _sqlite_backup(_settings(alias)["NAME"], partial)
                os.chmod(partial, 0o600)
                partial.replace(target)  # whole, sessions gone, or not there at all
            finally:
                partial.unlink(missing_ok=True)
            _backup_photos(target)
            return target
        if vendor == "postgresql":
            target = directory / f"tracker-{stamp}.pgdump"
            left_out = [f"--exclude-table-data={table}" for table in LEFT_OUT_TABLES]
            _run(
                ["pg_dump", "--format=custom", *left_out, f"--file={target}", *_pg_args(alias)],
                alias,
            )
            os.chmod(target, 0o600)
            _backup_photos(target)
            return target
    raise BackupError(f"No backup method for the {vendor} database.")


def photos_archive(backup_path: Path) -> Path:
    """Where the photos of a backup are: beside it, <backup>.photos.tar."""
    return backup_path.with_name(backup_path.name + ".photos.tar")


def _photo_storage():
    from tracker.photos import get_photo_storage

    return get_photo_storage()


def _stored_photos(storage, directory=""):
    """Every file name in the photo storage (local files or S3-compatible), depth first."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # no photo was ever stored
        return
    for name in sorted(files):
        yield posixpath.join(directory, name) if directory else name
    for name in sorted(directories):
        yield from _stored_photos(storage, posixpath.join(directory, name) if directory else name)


def _backup_photos(target: Path) -> None:
    """Write the photo storage's files into the archive beside the backup (none when there is
    no photo); whole or not there at all."""
    storage = _photo_storage()
    names = list(_stored_photos(storage))
    if not names:
        return
    archive = photos_archive(target)
    partial = archive.with_name(f".{archive.name}.partial")
    try:
        with tarfile.open(partial, "w") as tar:
            for name in names:
                with storage.open(name, "rb") as stored:
                    info = tarfile.TarInfo(name)
                    info.size = storage.size(name)
                    info.mode = 0o600
                    tar.addfile(info, stored)
        os.chmod(partial, 0o600)
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)


def _safe_member(member: tarfile.TarInfo) -> bool:
    """A plain file under the storage's root: no absolute path, no "..", no link."""
    parts = member.name.split("/")
    return member.isfile() and not member.name.startswith("/") and ".." not in parts


def _restore_photos(path: Path) -> None:
    """Put the backup's photos back into the photo storage, replacing a file of the same name."""
    archive = photos_archive(path)
    if not archive.exists():
        return
    storage = _photo_storage()
    try:
        with tarfile.open(archive, "r") as tar:
            for member in tar.getmembers():
                if not _safe_member(member):
                    continue
                if storage.exists(member.name):
                    storage.delete(member.name)
                stored = storage.save(member.name, File(tar.extractfile(member)))
                if stored != member.name:
                    raise BackupError(f"The photo {member.name} came back as {stored}.")
    except tarfile.TarError as exc:
        raise BackupError(
            f"{archive} is not a whole photo archive ({exc}). The database was restored; "
            f"the photos were not."
        ) from None


def _sqlite_backup(source_path, target: Path) -> None:
    source = sqlite3.connect(source_path)
    try:
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
            tables = {
                row[0]
                for row in destination.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            with destination:
                for table in LEFT_OUT_TABLES:
                    if table in tables:
                        destination.execute(f'DELETE FROM "{table}"')  # noqa: S608 (fixed names)
            # One self-contained file (no write-ahead log beside it), rewritten so that the
            # deleted rows' pages are not left in it.
            destination.execute("PRAGMA journal_mode=DELETE")
            destination.execute("VACUUM")
        finally:
            destination.close()
    finally:
        source.close()


def restore(path: Path, *, alias: str = "default") -> None:
    """Replace the database's content with the backup's. Stop the app servers first.
    A file that is not a whole backup is refused before anything is touched."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"No backup at {path}.")
    vendor = _vendor(alias)
    if vendor == "sqlite":
        _check_sqlite_backup(path)
        connections[alias].close()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            destination = sqlite3.connect(_settings(alias)["NAME"])
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        _restore_photos(path)
        return
    if vendor == "postgresql":
        _check_pg_backup(path, alias)
        connections[alias].close()
        try:
            # One transaction: a file that fails half-way leaves the current data as it was.
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *_pg_args(alias),
                    str(path),
                ],
                alias,
            )
        except BackupError as exc:
            raise _not_a_whole_backup(path, str(exc).splitlines()[0]) from None
        _restore_photos(path)
        return
    raise BackupError(f"No restore method for the {vendor} database.")


def _not_a_whole_backup(path: Path, problem: str) -> BackupError:
    return BackupError(
        f"{path} is not a whole backup ({problem}). Nothing was restored; "
        f"the current data is unchanged. Choose another backup file."
    )


def _check_pg_backup(path: Path, alias: str) -> None:
    """Refuse a file pg_restore cannot read, or one without this app's tables."""
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed (Debian: postgresql-client).")
    # pg_restore reading its own archive's table of contents, no shell.
    listing = subprocess.run(  # noqa: S603
        ["pg_restore", "--list", str(path)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        problem = (listing.stderr.strip().splitlines() or ["unreadable"])[0]
        raise _not_a_whole_backup(path, problem)
    if "django_migrations" not in listing.stdout:
        raise _not_a_whole_backup(path, "it holds no tracker database")


def _check_sqlite_backup(path: Path) -> None:
    """Refuse a file that is not a whole SQLite backup of this app (corrupt, truncated, or
    something else), with a message saying so."""
    problem = None
    try:
        backup_file = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = [row[0] for row in backup_file.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                problem = "; ".join(result[:3])
            elif not backup_file.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone():
                problem = "it holds no tracker database"
        finally:
            backup_file.close()
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    if problem:
        raise _not_a_whole_backup(path, problem)


def _pg_args(alias):
    s = _settings(alias)
    args = [f"--dbname={s['NAME']}"]
    if s.get("HOST"):
        args.append(f"--host={s['HOST']}")
    if s.get("PORT"):
        args.append(f"--port={s['PORT']}")
    if s.get("USER"):
        args.append(f"--username={s['USER']}")
    return args


def _run(command, alias):
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).")
    env = None
    password = _settings(alias).get("PASSWORD")
    if password:
        env = {**os.environ, "PGPASSWORD": password}
    # The command is pg_dump/pg_restore with the configured database's own settings, no shell.
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{command[0]} failed.")
