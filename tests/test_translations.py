"""The French catalog is complete: every extracted string is translated and none is fuzzy.

New strings reach the catalog through `make messages`; translate them in
locale/fr/LC_MESSAGES/django.po before committing.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FRENCH = Path(__file__).resolve().parent.parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_french_catalog_compiles_with_every_string_translated():
    result = subprocess.run(
        [shutil.which("msgfmt"), "--check", "--statistics", "-o", "/dev/null", str(FRENCH)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    # msgfmt reports e.g. "250 translated messages, 3 fuzzy translations, 2 untranslated messages."
    assert "fuzzy" not in result.stderr, result.stderr
    assert "untranslated" not in result.stderr, result.stderr
