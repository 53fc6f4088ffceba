"""The dashboard's pages. URL names keep their namespaces (`provisions:…`, `actors:…`)."""

from django.urls import path

from . import views
from .feeds import TimelineFeed

app_name = "provisions"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("provisions/", views.provision_list, name="provision_list"),
    path("provisions/<int:pk>/", views.provision_detail, name="provision_detail"),
    path("versions/compare/", views.compare_picker, name="compare_picker"),
    path("versions/<int:a>/compare/<int:b>/", views.version_compare, name="version_compare"),
    path("territories/", views.territory_list, name="territory_list"),
    path("timeline/", views.timeline, name="timeline"),
    path("timeline/feed/", TimelineFeed(), name="timeline_feed"),
    path("convergence/", views.convergence, name="convergence"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
]

# Mounted at /actors/ under the `actors` namespace (config/urls.py).
actor_urlpatterns = (
    [
        path("", views.actor_list, name="actor_list"),
        path("<int:pk>/", views.actor_detail, name="actor_detail"),
    ],
    "actors",
)
