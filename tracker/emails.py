"""E-mails: each one is a subject/text/html trio of templates rendered by one helper.

Templates live in templates/tracker/emails/<name>-subject.txt, <name>-body.txt and
<name>-body.html. Mail goes through Django's mail settings (EMAIL_URL).
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)


def render(name: str, context: dict, *, language: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) of e-mail `name`, in `language` (default: the active one)."""
    with translation.override(language or translation.get_language()):
        subject = render_to_string(f"tracker/emails/{name}-subject.txt", context)
        text = render_to_string(f"tracker/emails/{name}-body.txt", context)
        html = render_to_string(f"tracker/emails/{name}-body.html", context)
    # A header must be one line, whatever the template's trailing newline.
    return " ".join(subject.split()), text, html


def message(name: str, *, to: str, context: dict, language: str | None = None):
    subject, text, html = render(name, context, language=language)
    email = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    email.attach_alternative(html, "text/html")
    return email


def send(name: str, *, to: str, context: dict, language: str | None = None) -> None:
    """Render now, send once the current transaction commits (right away outside one).

    A rolled-back action sends nothing: no e-mail about an account that was never created.
    """
    email = message(name, to=to, context=context, language=language)
    transaction.on_commit(lambda: _deliver(email, name))


def send_now(name: str, *, to: str, context: dict, language: str | None = None) -> None:
    """Render and send at once; a delivery error propagates (the caller rolls back)."""
    _deliver(message(name, to=to, context=context, language=language), name, raise_errors=True)


def _deliver(email, name, raise_errors=False):
    # The template name only in the log: no addresses, names or clinical content.
    try:
        email.send()
    except Exception:
        log.exception("e-mail %s could not be sent", name)
        if raise_errors:
            raise
    else:
        log.info("e-mail %s sent", name)
