"""tracker.rules runs without Django or a database."""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def test_the_rules_module_imports_nothing_from_django():
    # A fresh interpreter: under pytest-django, Django is already imported in this one.
    code = (
        "import sys, tracker.rules; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT).returncode == 0
