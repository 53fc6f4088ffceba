"""Schema of the change feed (the entries themselves are built by `history.feed`)."""

from rest_framework import serializers

from ..models import ChangeAction


class ChangeEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The change's id; pass it as `after` to read what follows.")
    record_type = serializers.CharField(
        help_text="app_label.model: provisions.plan, provisions.version, provisions.provision, provisions.lineage, "
        "provisions.territory, provisions.territorialdisposition, provisions.controlobservation, provisions.source, "
        "actors.actor, actors.position, actors.event, actors.claim, actors.account."
    )
    record_id = serializers.IntegerField(help_text="Id of the record (for a deletion: the deleted id).")
    action = serializers.ChoiceField(choices=ChangeAction.choices, help_text="What the change did to the record.")
    changed_at = serializers.DateTimeField(help_text="When the change was recorded (as dated by the editor).")
    changed_fields = serializers.ListField(child=serializers.CharField(), help_text="Fields the change touched.")
    data = serializers.DictField(
        allow_null=True,
        help_text="The record's own fields after the change (foreign keys as ids, many-to-many as id lists); "
        "null for a deletion.",
    )


class ChangePageSerializer(serializers.Serializer):
    results = ChangeEntrySerializer(many=True, help_text="The changes, oldest first.")
    next_cursor = serializers.CharField(help_text="Pass as `after` next time; the same value when nothing followed.")
    has_more = serializers.BooleanField(help_text="True when more changes follow right away.")
    next = serializers.URLField(help_text="The URL of the next page.")
