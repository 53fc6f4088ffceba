from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print the API token of a user (created if needed) for scripts: `Authorization: Token <key>`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Replace the existing token with a new one.")

    def handle(self, *args: Any, username: str, reset: bool, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named “{username}” (create one with `create_editor {username}`).") from None
        if not user.is_active:
            raise CommandError(f"The user “{username}” is inactive.")
        if reset:
            Token.objects.filter(user=user).delete()
        token, _created = Token.objects.get_or_create(user=user)
        # The key alone on stdout, so scripts can capture it; the advice goes to stderr.
        self.stdout.write(token.key)
        if not user.has_perm("provisions.change_provision"):
            self.stderr.write(f"Note: “{username}” is not an editor; the token can read but not write.")
