"""Where e-mails go without a mail server (no EMAIL_URL): one file per message in a directory
only the app's own user can read (0700, files 0600), by default var/mail/ (git-ignored).

The messages carry one-time links (invitations, password resets) and patients' names: printed
to the console, they would end up in every log collector. `check --deploy` refuses this
backend, as it refuses the console's: production sets EMAIL_URL to a mail server.
"""

import os

from django.conf import settings
from django.core.mail.backends import filebased

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


class PrivateFileBackend(filebased.EmailBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        path = os.path.abspath(file_path or settings.EMAIL_FILE_PATH)
        # Created private (not world-readable for an instant), and made private if an older
        # version left it open.
        os.makedirs(path, mode=DIRECTORY_MODE, exist_ok=True)
        os.chmod(path, DIRECTORY_MODE)
        super().__init__(*args, file_path=path, **kwargs)

    def open(self):
        if self.stream is None:
            descriptor = os.open(
                self._get_filename(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE
            )
            self.stream = os.fdopen(descriptor, "ab")
            return True
        return False
