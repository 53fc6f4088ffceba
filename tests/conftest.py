import pytest

from tests.factories import EditorFactory


@pytest.fixture
def editor(db):
    return EditorFactory(username="editor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def demo_data(db):
    """The shipped demo dataset, loaded as `make run` does."""
    from provisions.demo.loading import load_demo

    return load_demo()
