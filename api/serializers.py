"""The base of every app's serializers: writes through `history.writing.save_recorded`
(one transaction, `full_clean()`, the request's user in history) and many-to-many ids
that read the rows loaded with a record (the vocabulary of `provisions.points`)."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from history.writing import save_recorded

from .params import as_id

# The largest id a bigint column holds; ID_RANGE bounds a plain IntegerField that takes an id.
MAX_ID = 2**63 - 1
ID_RANGE = {"min_value": 1, "max_value": MAX_ID}


class IdField(serializers.PrimaryKeyRelatedField):
    """A related record's id: a whole number from 1 to MAX_ID (JSON `3`, or `"3"` from a form).

    DRF's field passes what it is given to the database: `1.5` reads as 1, `true` as 1,
    `1e400` (infinity) or a 30-digit number fail in the database driver with a 500."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "not_an_id": "Ids are whole numbers from 1 to " + str(MAX_ID) + ", not {value}.",
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            number = as_id(data)
        elif isinstance(data, int) and not isinstance(data, bool):
            number = data
        else:
            number = None
        if number is None or not 1 <= number <= MAX_ID:
            self.fail("not_an_id", value=str(data)[:40])
        return super().to_internal_value(number)


class RecordedSerializer(serializers.ModelSerializer):
    """Creates and updates through `save_recorded`: one transaction, `full_clean()`,
    many-to-many set in the same transaction, the request's user in history."""

    serializer_related_field = IdField

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def _check_write_permissions(self, model: type[models.Model]) -> None:
        """Records written through a nested field (a point's links, a territory's observations)
        are records of their own: writing them needs their own model permissions."""
        user = self._user()
        needed = [
            f"{model._meta.app_label}.{action}_{model._meta.model_name}" for action in ("add", "change", "delete")
        ]
        if user is not None and not user.has_perms(needed):
            raise PermissionDenied(f"Writing this field needs the permissions {', '.join(needed)}.")

    def _pop_m2m(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        names = [field.name for field in self.Meta.model._meta.many_to_many]
        return {name: validated_data.pop(name) for name in names if name in validated_data}

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        m2m = self._pop_m2m(validated_data)
        return save_recorded(self.Meta.model(**validated_data), user=self._user(), m2m=m2m)

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        m2m = self._pop_m2m(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return save_recorded(instance, user=self._user(), m2m=m2m)


class LoadedManyRelatedField(serializers.ManyRelatedField):
    """Ids of a many-to-many field; reads the loaded rows (`loaded`, e.g. `source_list`)
    where the record carries them, as records read from history do."""

    def __init__(self, *args: Any, loaded: str = "", **kwargs: Any) -> None:
        self.loaded = loaded
        super().__init__(*args, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        rows = getattr(instance, self.loaded, None) if self.loaded else None
        if rows is not None:
            return rows
        return super().get_attribute(instance)

    def to_representation(self, iterable: Any) -> list[Any]:
        # Sorted, so the list compares equal whatever the related model's ordering.
        return sorted(super().to_representation(iterable))


def ids_of(
    model: type[models.Model], help_text: str, *, required: bool = True, loaded: str = ""
) -> LoadedManyRelatedField:
    return LoadedManyRelatedField(
        loaded=loaded,
        child_relation=IdField(queryset=model._default_manager.all()),
        required=required,
        allow_empty=not required,
        help_text=help_text,
    )


TIMESTAMPS = {
    "created_at": {"help_text": "When the record was created (UTC)."},
    "updated_at": {"help_text": "When the record last changed (UTC)."},
}
