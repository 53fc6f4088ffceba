import secrets
from getpass import getpass
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from editors.permissions import EDITORS_GROUP


class Command(BaseCommand):
    help = "Create an editor account (staff, in the Editors group) and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--generate-password",
            action="store_true",
            help="Generate a random password and print it once (default when there is no terminal).",
        )

    def handle(self, *args: Any, username: str, email: str, generate_password: bool, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named “{username}” already exists.")
        try:
            group = Group.objects.get(name=EDITORS_GROUP)
        except Group.DoesNotExist:
            raise CommandError("The Editors group is missing: run `python manage.py migrate` first.") from None

        generated = generate_password or not self._interactive()
        password = secrets.token_urlsafe(16) if generated else self._ask_password(username)
        user = User(username=username, email=email, is_staff=True)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.full_clean(exclude=["password"])
            user.save()
            user.groups.add(group)

        self.stdout.write(self.style.SUCCESS(f"Editor “{username}” created."))
        if generated:
            self.stdout.write(f"Password (shown once, store it now): {password}")
        self.stdout.write("Log in at http://127.0.0.1:8000/admin/ with that username and password.")

    def _interactive(self) -> bool:
        import sys

        return sys.stdin.isatty()

    def _ask_password(self, username: str) -> str:
        password = getpass(f"Password for {username}: ")
        if password != getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        if not password:
            raise CommandError("An empty password is not allowed.")
        return password
