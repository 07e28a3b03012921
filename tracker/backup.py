"""Backups of the database, safe while the app runs, and their restore.

SQLite: the online backup API copies a consistent snapshot page by page while writers carry on
(the WAL keeps them apart). PostgreSQL: pg_dump in its custom format (a consistent snapshot in
one transaction), restored with pg_restore.
"""

import datetime
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    pass


def _settings(alias):
    return connections[alias].settings_dict


def _vendor(alias):
    return connections[alias].vendor


def backup(directory: Path, *, alias: str = "default", now=None) -> Path:
    """Write a timestamped backup into `directory`; return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    vendor = _vendor(alias)
    if vendor == "sqlite":
        target = directory / f"tracker-{stamp}.sqlite3"
        source = sqlite3.connect(_settings(alias)["NAME"])
        try:
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        return target
    if vendor == "postgresql":
        target = directory / f"tracker-{stamp}.pgdump"
        _run(["pg_dump", "--format=custom", f"--file={target}", *_pg_args(alias)], alias)
        return target
    raise BackupError(f"No backup method for the {vendor} database.")


def restore(path: Path, *, alias: str = "default") -> None:
    """Replace the database's content with the backup's. Stop the app servers first."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"No backup at {path}.")
    vendor = _vendor(alias)
    connections[alias].close()
    if vendor == "sqlite":
        source = sqlite3.connect(path)
        try:
            destination = sqlite3.connect(_settings(alias)["NAME"])
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        return
    if vendor == "postgresql":
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
        return
    raise BackupError(f"No restore method for the {vendor} database.")


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
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{command[0]} failed.")
