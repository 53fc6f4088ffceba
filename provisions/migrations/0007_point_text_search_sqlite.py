"""SQLite only: a full-text index (FTS5) of each point's number, title and text, kept in
step with the points table by triggers, so the points' text search takes the same syntax
on SQLite as on PostgreSQL (`provisions.points.PointFilter`). PostgreSQL needs nothing:
it reads the columns with `to_tsvector`.

On SQLite, a later migration that rebuilds `provisions_provision` (Django copies the table
to alter a column) drops these triggers with the old table: such a migration must run this
SQL again. `tests/provisions/test_search.py` fails if the index no longer follows writes.
"""

from django.db import migrations

FTS_TABLE = "provisions_provision_fts"
COLUMNS = "number, title, text"

CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({COLUMNS}, content='provisions_provision', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON provisions_provision BEGIN
        INSERT INTO {FTS_TABLE}(rowid, {COLUMNS}) VALUES (new.id, new.number, new.title, new.text);
    END""",
    f"""CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON provisions_provision BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, old.number, old.title, old.text);
    END""",
    f"""CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF {COLUMNS} ON provisions_provision BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, old.number, old.title, old.text);
        INSERT INTO {FTS_TABLE}(rowid, {COLUMNS}) VALUES (new.id, new.number, new.title, new.text);
    END""",
    # Points already stored.
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("provisions", "0006_refuse_characters_xml_cannot_carry"),
    ]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
