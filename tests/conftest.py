from pathlib import Path

import pytest

from tests.factories import EditorFactory

# A small frozen record the page, API and job tests run on. It is a test fixture, not the
# record: the shipped record (provisions/demo/record/) grows with the negotiation, and
# tests of the mechanics must not change with it. Tests of the record itself load that.
DEMO_FIXTURE = Path(__file__).parent / "fixtures" / "demo_record.json"


@pytest.fixture
def editor(db):
    return EditorFactory(username="editor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def demo_data(db):
    """The frozen test record, loaded as `make run` loads the shipped one."""
    from provisions.demo.loading import load_demo

    return load_demo(DEMO_FIXTURE)
