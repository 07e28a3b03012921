from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.api.tokens import issue_token, revoke_tokens


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user and print it once (only its hash is kept), with its "
        "expiry. Use it as 'Authorization: Token <key>'. The user's previous tokens stop "
        "working unless --keep is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--keep", action="store_true", help="Keep the user's other tokens working."
        )
        parser.add_argument(
            "--revoke", action="store_true", help="Only revoke the user's tokens; issue none."
        )

    def handle(self, *args, username, keep, revoke, **options):
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No active user named {username!r}.") from exc
        if revoke:
            count = revoke_tokens(user)
            self.stdout.write(f"Revoked {count} token(s) of {username}.")
            return
        token, key = issue_token(user, replace=not keep)
        # The key alone on standard output (for scripts); the rest on standard error.
        self.stdout.write(key)
        expiry = timezone.localtime(token.expiry).strftime("%Y-%m-%d %H:%M %Z")
        self.stderr.write(
            f"Expires {expiry}. Store it now: it cannot be shown again "
            f"(run this command again for a new one).",
            style_func=None,
        )
