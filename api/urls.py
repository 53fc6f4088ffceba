"""`/api/v1/`: the versioned REST API (one router for every app's resources)."""

from typing import Any

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from actors.api.views import ActorViewSet, EventViewSet, PositionViewSet
from exchange.api import SnapshotViewSet, WebhookSubscriptionViewSet
from history.api.views import ChangeFeedView
from provisions.api.views import PlanViewSet, ProvisionViewSet, SourceViewSet, TerritoryViewSet, VersionViewSet

from .errors import api_not_found

app_name = "api"


class ApiRouter(DefaultRouter):
    """The root view also lists the change feed, the schema and the docs."""

    # No `.json` suffix routes: `?format=` selects the format, so an id may be any
    # string and a malformed one reaches the view (a JSON 404, not an unmatched URL).
    include_format_suffixes = False
    extra_root_entries = {"changes": "changes", "schema": "schema", "docs": "docs"}

    def get_api_root_view(self, api_urls: Any = None) -> Any:
        list_name = self.routes[0].name
        root = {prefix: list_name.format(basename=basename) for prefix, _viewset, basename in self.registry}
        root.update(self.extra_root_entries)
        return self.APIRootView.as_view(api_root_dict=root)


router = ApiRouter()
router.register("plans", PlanViewSet, basename="plans")
router.register("versions", VersionViewSet, basename="versions")
router.register("provisions", ProvisionViewSet, basename="provisions")
router.register("territories", TerritoryViewSet, basename="territories")
router.register("actors", ActorViewSet, basename="actors")
router.register("positions", PositionViewSet, basename="positions")
router.register("sources", SourceViewSet, basename="sources")
router.register("events", EventViewSet, basename="events")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhooks")
router.register("snapshots", SnapshotViewSet, basename="snapshots")

urlpatterns = [
    path("changes/", ChangeFeedView.as_view(), name="changes"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (?script): no inline script for the CSP to allow.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
    re_path(r"^(?P<unmatched>.*)$", api_not_found),
]
