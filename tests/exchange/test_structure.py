"""How the exchange app's modules depend on each other: the tasks call the services, the
services call the pure webhook code, never the reverse; "a version was published" is a
typed fact the importer writes and webhooks read, not a string each spells out."""

import ast
from pathlib import Path

import pytest
from celery import current_app

import exchange
from exchange.choices import WebhookEvent
from exchange.queueing import TaskName
from exchange.webhooks import event_for
from history.models import Change, ChangeAction, ChangeReason
from provisions import importing

EXCHANGE = Path(exchange.__file__).parent


def imported_modules(module: str) -> set[str]:
    """Every module a file imports, at the top or inside a function, as an absolute name."""
    tree = ast.parse((EXCHANGE / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "exchange." * (node.level > 0) + (node.module or "")
            names.add(base.rstrip("."))
            names.update(f"{base.rstrip('.')}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", ["webhooks", "services"])
def test_the_webhook_code_and_the_services_import_no_task(module):
    assert "exchange.tasks" not in imported_modules(module)


def test_the_webhook_code_imports_no_service():
    assert "exchange.services" not in imported_modules("webhooks")


def test_every_task_the_services_queue_by_name_is_registered():
    names = [value for key, value in vars(TaskName).items() if key.isupper()]
    assert names and all(name in current_app.tasks for name in names)


def test_the_importer_and_the_webhooks_share_one_vocabulary_of_change_reasons():
    assert importing.IMPORTED_FOR_REVIEW is ChangeReason.IMPORTED_FOR_REVIEW
    assert importing.IMPORT_PUBLISHED is ChangeReason.IMPORT_PUBLISHED
    assert "provisions.importing" not in imported_modules("webhooks")


@pytest.mark.parametrize(
    ("reason", "event"),
    [
        (ChangeReason.IMPORTED_FOR_REVIEW, WebhookEvent.VERSION_CHANGED),
        (ChangeReason.IMPORT_PUBLISHED, WebhookEvent.VERSION_PUBLISHED),
    ],
)
def test_a_version_write_is_published_by_its_typed_reason(reason, event):
    class Row:
        history_change_reason = reason.value  # as the history table stores it
        status = "proposed"

    change = Change(record_type="provisions.version", action=ChangeAction.UPDATED, changed_fields=[])
    assert event_for(change, lambda _change: Row()) == event
