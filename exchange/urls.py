from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.snapshot_list, name="snapshot_list"),
    path("<int:pk>/download/", views.snapshot_download, name="snapshot_download"),
]
