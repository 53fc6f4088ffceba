import secrets
from getpass import getpass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

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
        parser.add_argument(
            "--base-url",
            default="",
            help="Where the site is served, for the login address printed at the end "
            "(default: the SITE_URL setting, http://127.0.0.1:8000 unless set).",
        )

    def handle(
        self, *args: Any, username: str, email: str, generate_password: bool, base_url: str, **options: Any
    ) -> None:
        login_url = self._login_url(base_url or settings.SITE_URL)
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
        self.stdout.write(f"Log in at {login_url} with that username and password.")

    def _login_url(self, base_url: str) -> str:
        """The admin's address under `base_url`; checked before anything is written."""
        parts = urlsplit(base_url.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise CommandError(f"--base-url / SITE_URL “{base_url}” is not a web address (e.g. http://127.0.0.1:8000).")
        return base_url.strip().rstrip("/") + reverse("admin:index")

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
