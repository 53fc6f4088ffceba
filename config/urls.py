from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("actors/", include("actors.urls")),
    path("snapshots/", include("exchange.urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("provisions.urls")),
]
