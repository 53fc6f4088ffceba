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


def test_a_forged_x_forwarded_for_does_not_escape_the_throttle(api, settings, world):
    settings.API_ANON_RATE = "3/min"
    codes = [api.get("/api/v1/plans/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_behind_one_proxy_the_address_it_appends_identifies_the_client(api, settings, world):
    settings.API_ANON_RATE = "2/min"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The proxy appends the address it saw; whatever the client put before it is ignored.
    first = [api.get("/api/v1/plans/", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.7").status_code for n in range(3)]
    assert first == [200, 200, 429]
    assert api.get("/api/v1/plans/", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


def test_num_proxies_defaults_to_zero(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
