"""Forms of the import page and of webhook subscriptions; rules live in services."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from . import services
from .choices import WebhookEvent
from .models import ImportJob, WebhookSubscription

IMPORT_EXTENSIONS = {".txt", ".md", ".markdown"}


class ImportJobForm(forms.ModelForm):
    """Paste the text or upload a .txt/.md file; the rest says where the version goes."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        required=False,
        help_text="One point per numbered line: “1.”, “1)”, “Point 1:”, “10a”; sub-points “a.” and bullets are kept.",
    )
    upload = forms.FileField(
        label="or upload a file", required=False, help_text="A .txt or .md file in UTF-8 (instead of pasting)."
    )

    class Meta:
        model = ImportJob
        fields = ["plan", "label", "dated", "revises", "text_basis", "text"]

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        if PurePath(upload.name).suffix.lower() not in IMPORT_EXTENSIONS:
            raise ValidationError("Upload a .txt or .md file.")
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise ValidationError(f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // 1024} KB.")
        try:
            return upload.name, upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text; save it as UTF-8 and upload it again.") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("upload")
        text = cleaned.get("text") or ""
        if upload and text.strip():
            raise ValidationError("Paste the text or upload a file, not both.")
        if upload:
            cleaned["source_name"], cleaned["text"] = upload
        elif not text.strip() and "upload" not in self.errors:
            self.add_error("text", "Paste the text of the draft or upload a file.")
            return cleaned
        if self.errors:
            return cleaned
        try:
            services.import_check(
                plan=cleaned["plan"],
                label=cleaned["label"],
                dated=cleaned["dated"],
                text=cleaned["text"],
                revises=cleaned.get("revises"),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=1000, assume_scheme="https")
    event_kinds = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, label="Kinds of change"
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "description", "event_kinds"]

    def _post_clean(self) -> None:
        super()._post_clean()
        try:
            services.webhook_subscription_validate(self.instance)
        except ValidationError as error:
            self._update_errors(error)


class ImportReviewForm(forms.Form):
    """One row per proposed link (accept, reject, or re-point to another earlier point), and
    "accept all scoring at least"; the rules are in `reviewing.import_job_review`."""

    threshold = forms.FloatField(
        required=False, min_value=0, max_value=1, initial=0.6, label="Accept every proposed link scoring at least"
    )

    def __init__(self, *args: Any, review: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.review = review
        earlier = [(point.pk, f"{point.number}. {point.title}"[:80]) for point in review.earlier]
        for row in review.rows:
            link = row.link
            self.fields[f"action-{link.pk}"] = forms.ChoiceField(
                choices=[("", "keep as it is"), ("accept", "accept"), ("reject", "reject")],
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"point-{link.pk}"] = forms.TypedChoiceField(
                # Any id is accepted here so that the service can say why a point cannot be used.
                choices=earlier,
                coerce=int,
                empty_value=None,
                required=False,
                initial=link.derives_from_id,
                label=f"{link.provision.number} derives from",
            )
            self.fields[f"point-{link.pk}"].valid_value = lambda value: True

    def decisions(self) -> dict[int, dict[str, Any]]:
        data = self.cleaned_data
        return {
            row.link.pk: {
                "action": data.get(f"action-{row.link.pk}") or "",
                "derives_from": data.get(f"point-{row.link.pk}"),
            }
            for row in self.review.rows
        }

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(row, self[f"action-{row.link.pk}"], self[f"point-{row.link.pk}"]) for row in self.review.rows]
