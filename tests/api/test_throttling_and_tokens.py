import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_anonymous_clients_are_throttled_at_the_configured_rate(api, settings, world):
    settings.API_ANON_RATE = "3/min"
    codes = [api.get("/api/v1/plans/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/v1/plans/")
    assert "detail" in response.json() and int(response.headers["Retry-After"]) > 0


def test_editors_are_not_throttled(editor_api, settings, world):
    settings.API_ANON_RATE = "2/min"
    assert {editor_api.get("/api/v1/plans/").status_code for _ in range(5)} == {200}


def test_create_api_token_prints_the_same_token_until_reset(editor, capsys):
    call_command("create_api_token", "editor")
    first = capsys.readouterr().out.strip()
    assert first == Token.objects.get(user=editor).key
    call_command("create_api_token", "editor")
    assert capsys.readouterr().out.strip() == first
    call_command("create_api_token", "editor", "--reset")
    assert capsys.readouterr().out.strip() not in ("", first)


def test_create_api_token_for_an_unknown_user_fails_with_one_line(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "nobody")


def test_create_api_token_warns_that_a_non_editor_can_only_read(db, capsys):
    from tests.factories import UserFactory

    UserFactory(username="reader")
    call_command("create_api_token", "reader")
    assert "not an editor" in capsys.readouterr().err
