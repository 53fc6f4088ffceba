"""The app's URLs plus `/bench/baseline/`, served only by the benchmark's server."""

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

from . import limits

BASELINE_SQL = """
SELECT p.id, p.version_id, p.number, p.title, p.text, p.topics, p.status, p.updated_at
FROM provisions_provision p JOIN provisions_version v ON v.id = p.version_id
ORDER BY v.dated, p.version_id, p.sort_key
LIMIT 100
"""


def baseline(request: HttpRequest) -> HttpResponse:
    """The first 100 points of the provisions list, from one SQL query, as JSON: the floor
    the API's list is measured against (no framework, no relations, no pagination count)."""
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return HttpResponse(json.dumps({"results": rows}, default=str), content_type="application/json")


urlpatterns = [
    path("bench/baseline/", baseline),
    path("bench/limit/provisions/", limits.provisions_list),
    path("bench/limit/provisions/<int:pk>/", limits.provision_detail),
    path("bench/limit/changes/", limits.changes_page),
    *app_urlpatterns,
]
