"""The snapshot page and downloads, for editors (the archive names who made each change)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .choices import SnapshotStatus
from .models import Snapshot

editors_only = permission_required("exchange.view_snapshot", raise_exception=True)


@login_required
@editors_only
def snapshot_list(request: HttpRequest) -> HttpResponse:
    snapshots = Snapshot.objects.filter(status=SnapshotStatus.READY).order_by("-made_at", "-id")[:100]
    return render(request, "exchange/snapshot_list.html", {"snapshots": snapshots})


@login_required
@editors_only
def snapshot_download(request: HttpRequest, pk: int) -> FileResponse:
    return snapshot_file_response(get_object_or_404(Snapshot, pk=pk, status=SnapshotStatus.READY))


def snapshot_file_response(snapshot: Snapshot) -> FileResponse:
    """The archive as an attachment with its checksum (the page and the API both answer this)."""
    try:
        handle = snapshot.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The archive of this snapshot is missing from storage.") from None
    response = FileResponse(handle, as_attachment=True, filename=snapshot.file_name, content_type="application/zip")
    response["X-Checksum-SHA256"] = snapshot.sha256
    return response
