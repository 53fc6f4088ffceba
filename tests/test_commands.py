import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_create_editor_generates_a_password_prints_it_once_and_joins_editors():
    out = io.StringIO()
    call_command("create_editor", "alice", "--generate-password", stdout=out)
    text = out.getvalue()
    password = text.split("Password (shown once, store it now): ")[1].split()[0]
    user = get_user_model().objects.get(username="alice")
    assert user.is_staff and not user.is_superuser
    assert user.check_password(password)
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert "/admin/" in text


def test_two_editors_never_get_the_same_password():
    outputs = []
    for name in ("a1", "a2"):
        out = io.StringIO()
        call_command("create_editor", name, "--generate-password", stdout=out)
        outputs.append(out.getvalue().split("store it now): ")[1].split()[0])
    assert outputs[0] != outputs[1]


def test_create_editor_refuses_an_existing_username():
    call_command("create_editor", "bob", "--generate-password", stdout=io.StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_editor", "bob", "--generate-password", stdout=io.StringIO())


def test_create_editor_asks_for_a_password_and_checks_it(monkeypatch):
    from editors.management.commands import create_editor

    answers = iter(["a-Long-enough-passphrase-42", "a-Long-enough-passphrase-42"])
    monkeypatch.setattr(create_editor, "getpass", lambda prompt: next(answers))
    monkeypatch.setattr(create_editor.Command, "_interactive", lambda self: True)
    out = io.StringIO()
    call_command("create_editor", "carol", stdout=out)
    assert "shown once" not in out.getvalue()
    assert get_user_model().objects.get(username="carol").check_password("a-Long-enough-passphrase-42")


def test_create_editor_refuses_a_weak_password(monkeypatch):
    from editors.management.commands import create_editor

    monkeypatch.setattr(create_editor, "getpass", lambda prompt: "123")
    monkeypatch.setattr(create_editor.Command, "_interactive", lambda self: True)
    with pytest.raises(CommandError, match="Password refused"):
        call_command("create_editor", "dave", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="dave").exists()


def test_the_editors_group_has_exactly_the_editorial_permissions():
    from django.contrib.auth.models import Group

    from editors.permissions import editor_permission_codenames

    group = Group.objects.get(name="Editors")
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == set(editor_permission_codenames())
    assert ("auth", "add_user") not in granted
    assert ("provisions", "change_provision") in granted
    assert ("history", "change_change") not in granted


def _login_line(out: io.StringIO) -> str:
    return next(line for line in out.getvalue().splitlines() if line.startswith("Log in at "))


def test_create_editor_prints_the_default_login_address_when_told_nothing(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    out = io.StringIO()
    call_command("create_editor", "erin", "--generate-password", stdout=out)
    assert _login_line(out).startswith("Log in at http://127.0.0.1:8000/admin/ ")


def test_create_editor_prints_the_address_given_by_base_url():
    out = io.StringIO()
    call_command("create_editor", "frank", "--generate-password", "--base-url", "http://localhost:8765/", stdout=out)
    assert _login_line(out).startswith("Log in at http://localhost:8765/admin/ ")


def test_create_editor_prints_the_site_url_setting(settings):
    settings.SITE_URL = "https://accord.example.org/tracker"
    out = io.StringIO()
    call_command("create_editor", "gina", "--generate-password", stdout=out)
    assert _login_line(out).startswith("Log in at https://accord.example.org/tracker/admin/ ")


def test_create_editor_refuses_a_base_url_that_is_not_an_address():
    with pytest.raises(CommandError, match=r"--base-url .* is not a web address"):
        call_command(
            "create_editor", "hank", "--generate-password", "--base-url", "localhost:8000", stdout=io.StringIO()
        )
    assert not get_user_model().objects.filter(username="hank").exists()


def test_site_url_setting_reads_the_environment_and_defaults_to_port_8000(monkeypatch):
    import importlib

    import config.settings

    monkeypatch.setenv("SITE_URL", "http://10.0.0.5:9000")
    assert importlib.reload(config.settings).SITE_URL == "http://10.0.0.5:9000"
    monkeypatch.delenv("SITE_URL")
    assert importlib.reload(config.settings).SITE_URL == "http://127.0.0.1:8000"
