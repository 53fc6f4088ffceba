"""The snapshot archive: the whole dataset as one zip, and its exact restore.

Layout of the zip:
  manifest.json            format, time made, per file its SHA-256, size and record count
  manifest.sig             hex HMAC-SHA256 of manifest.json's bytes, keyed with SNAPSHOT_SIGNING_KEY
  json/<app.model>.json    Django's JSON serialization (datetimes to the microsecond), the source of truth for a restore
  csv/<app.model>.csv      the same records for a spreadsheet (many-to-many as space-separated ids)

The dataset is every model of the editorial apps (records, their history tables, the
change log) and, for the history's authorship, the id and username of the accounts
it names (no password, no e-mail).

Checksums catch a damaged archive; the signature catches an edited one: whoever edits a
file and recomputes its checksum in the manifest cannot sign the new manifest without the
server's key. A restore checks the signature first, then every checksum, and reads only
files the manifest lists.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, connection, models, transaction

FORMAT = "accord-tracker-snapshot/1"
SNAPSHOT_APPS = ("provisions", "actors", "history")
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


class FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes and times to milliseconds; a snapshot keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime, time)):
            return o.isoformat()
        return super().default(o)


def _serialize(rows: Any, **options: Any) -> bytes:
    return serializers.serialize("json", rows, indent=1, cls=FullPrecisionEncoder, **options).encode()


class SnapshotError(Exception):
    """A snapshot that cannot be restored here; the message is one line for the editor."""


def snapshot_models() -> list[type[models.Model]]:
    """The models a snapshot holds, in a stable order (the user table first)."""
    found: list[type[models.Model]] = []
    for label in SNAPSHOT_APPS:
        found.extend(sorted(apps.get_app_config(label).get_models(), key=lambda m: m._meta.label_lower))
    return found


def _user_fields(model: type[models.Model]) -> list[models.ForeignKey]:
    user_model = get_user_model()
    return [f for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model]


def _referenced_user_ids(model_list: list[type[models.Model]]) -> set[int]:
    ids: set[int] = set()
    for model in model_list:
        for field in _user_fields(model):
            ids.update(
                model._base_manager.exclude(**{f"{field.attname}__isnull": True})
                .values_list(field.attname, flat=True)
                .distinct()
            )
    return ids


def _m2m_fields(model: type[models.Model]) -> list[models.ManyToManyField]:
    return [f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _csv_rows(model: type[models.Model]) -> Iterator[list[str]]:
    fields = list(model._meta.concrete_fields)
    m2m = _m2m_fields(model)
    yield [f.attname for f in fields] + [f.name for f in m2m]
    rows = model._base_manager.order_by("pk").prefetch_related(*[f.name for f in m2m])
    for obj in rows.iterator(chunk_size=2000):
        values = [_csv_value(getattr(obj, f.attname)) for f in fields]
        values += [" ".join(str(o.pk) for o in getattr(obj, f.name).all()) for f in m2m]
        yield values


def _csv_bytes(model: type[models.Model]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in _csv_rows(model):
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def _repeatable_read() -> None:
    """On PostgreSQL, every table is read as of the same instant (a consistent snapshot)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def write_archive(target: IO[bytes]) -> dict[str, Any]:
    """Write the zip to `target` and return its manifest."""
    model_list = snapshot_models()
    user_model = get_user_model()
    files: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    fresh = not connection.in_atomic_block
    with transaction.atomic(), zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if fresh:
            _repeatable_read()
        made_at = datetime.now(UTC)

        def add(name: str, data: bytes, records: int) -> None:
            archive.writestr(name, data)
            files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "records": records}

        users = user_model._base_manager.filter(pk__in=_referenced_user_ids(model_list)).order_by("pk")
        user_label = user_model._meta.label_lower
        counts[user_label] = users.count()
        add(
            f"json/{user_label}.json",
            _serialize(users, fields=[user_model.USERNAME_FIELD]),
            counts[user_label],
        )
        for model in model_list:
            label = model._meta.label_lower
            rows = model._base_manager.order_by("pk")
            counts[label] = rows.count()
            add(f"json/{label}.json", _serialize(rows), counts[label])
            add(f"csv/{label}.csv", _csv_bytes(model), counts[label])
        manifest = {
            "format": FORMAT,
            "made_at": made_at.isoformat(),
            "user_model": user_label,
            "models": [m._meta.label_lower for m in model_list],
            "record_counts": counts,
            "files": files,
        }
        manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode()
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(SIGNATURE, manifest_signature(manifest_bytes))
    return manifest


def manifest_signature(manifest_bytes: bytes) -> str:
    """Hex HMAC-SHA256 of the manifest with the server's key (SNAPSHOT_SIGNING_KEY)."""
    return hmac.new(settings.SNAPSHOT_SIGNING_KEY.encode(), manifest_bytes, hashlib.sha256).hexdigest()


def _check_signature(archive: zipfile.ZipFile, manifest_bytes: bytes) -> None:
    try:
        given = archive.read(SIGNATURE).decode("ascii", "replace").strip()
    except KeyError:
        raise SnapshotError(
            "The snapshot is not signed (no manifest.sig): only archives this server signed can be restored."
        ) from None
    if not hmac.compare_digest(given, manifest_signature(manifest_bytes)):
        raise SnapshotError(
            "The snapshot's signature does not match: it was changed after it was made, "
            "or signed with another SNAPSHOT_SIGNING_KEY."
        )


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, its signature checked, then every listed file against its SHA-256."""
    try:
        manifest_bytes = archive.read(MANIFEST)
    except KeyError:
        raise SnapshotError("Not a snapshot: the archive has no manifest.json.") from None
    _check_signature(archive, manifest_bytes)
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise SnapshotError("The manifest of this snapshot is not valid JSON.") from None
    if manifest.get("format") != FORMAT:
        raise SnapshotError(f"Unknown snapshot format {manifest.get('format')!r} (expected {FORMAT}).")
    for name, info in manifest.get("files", {}).items():
        try:
            data = archive.read(name)
        except KeyError:
            raise SnapshotError(f"The snapshot is incomplete: {name} is missing.") from None
        if hashlib.sha256(data).hexdigest() != info.get("sha256"):
            raise SnapshotError(f"The snapshot is damaged: the SHA-256 of {name} does not match its manifest.")
    return manifest


def _ensure_empty(model_list: list[type[models.Model]]) -> None:
    holding = [m._meta.label_lower for m in model_list if m._base_manager.exists()]
    if holding:
        shown = ", ".join(holding[:3]) + (" …" if len(holding) > 3 else "")
        raise SnapshotError(
            f"The database is not empty ({len(holding)} tables hold records: {shown}); "
            "restore only into a freshly migrated database."
        )


def _restore_users(data: bytes, user_model: type[models.Model]) -> list[models.Model]:
    """Accounts named by the history: created without a usable password, kept if already there."""
    restored = []
    name_field = user_model.USERNAME_FIELD
    for item in serializers.deserialize("json", data):
        user = item.object
        existing = user_model._base_manager.filter(pk=user.pk).first()
        if existing is not None:
            if getattr(existing, name_field) != getattr(user, name_field):
                raise SnapshotError(
                    f"Account {user.pk} is “{getattr(existing, name_field)}” here but “{getattr(user, name_field)}” "
                    "in the snapshot; restore into a database without accounts."
                )
            continue
        user.set_unusable_password()
        user.save()
        restored.append(user)
    return restored


def restore_archive(source: str | IO[bytes]) -> dict[str, int]:
    """Load a snapshot into an empty database, exactly, in one transaction.

    Refuses (SnapshotError) a damaged archive, another format, or a database that
    already holds records. Returns the number of records restored per model.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise SnapshotError(f"Not a snapshot archive: {error}.") from None
    with archive:
        manifest = read_manifest(archive)
        model_list = snapshot_models()
        here = {m._meta.label_lower for m in model_list}
        theirs = set(manifest.get("models", []))
        if here != theirs:
            differ = sorted(here ^ theirs)
            raise SnapshotError(f"The snapshot's tables differ from this database's ({', '.join(differ[:4])}).")
        user_model = get_user_model()
        counts: dict[str, int] = {}
        try:
            with transaction.atomic():
                _ensure_empty(model_list)
                user_file = f"json/{user_model._meta.label_lower}.json"
                counts[user_model._meta.label_lower] = len(
                    _restore_users(_read_listed(archive, manifest, user_file), user_model)
                )
                for model in model_list:
                    label = model._meta.label_lower
                    counts[label] = 0
                    for item in serializers.deserialize("json", _read_listed(archive, manifest, f"json/{label}.json")):
                        _save_exactly(item)
                        counts[label] += 1
                tables = [m._meta.db_table for m in model_list]
                connection.check_constraints(table_names=tables)
                _reset_sequences([user_model, *model_list])
        except (DeserializationError, IntegrityError) as error:
            raise SnapshotError(f"The snapshot does not fit this database: {str(error).splitlines()[0]}") from None
        except DatabaseError as error:
            raise SnapshotError(f"The database refused the snapshot: {str(error).splitlines()[0]}") from None
    return counts


def _read_listed(archive: zipfile.ZipFile, manifest: dict[str, Any], name: str) -> bytes:
    """A file the signed manifest lists (and `read_manifest` checked); any other is refused."""
    if name not in manifest.get("files", {}):
        raise SnapshotError(f"The snapshot's manifest does not list {name}.")
    return archive.read(name)


def _save_exactly(item: Any) -> None:
    """Save a deserialized record as it was: a raw save (no history, no change log) and its
    many-to-many rows inserted directly (setting them would record a history row)."""
    obj = item.object
    obj.save_base(raw=True)
    for name, ids in (item.m2m_data or {}).items():
        field = obj._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        through._base_manager.bulk_create([through(**{f"{source}_id": obj.pk, f"{target}_id": pk}) for pk in ids])


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    """Restored rows carry their ids; make the next new row's id follow them (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
