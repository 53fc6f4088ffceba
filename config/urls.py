from django.contrib import admin
from django.urls import include, path, re_path

from api.errors import api_not_found
from config.health import healthz
from dashboard.urls import actor_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    # /api, /api/v2/…: a JSON 404 too (`/api/v1` still gets its slash appended).
    re_path(r"^api(?:/(?!v1(?:/|$))(?P<unmatched>.*))?$", api_not_found),
    path("actors/", include(actor_urlpatterns)),
    path("snapshots/", include("exchange.urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("dashboard.urls")),
]
