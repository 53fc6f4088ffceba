from django.contrib import admin
from django.urls import include, path

from config.health import healthz
from dashboard.urls import actor_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("actors/", include(actor_urlpatterns)),
    path("snapshots/", include("exchange.urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("dashboard.urls")),
]
