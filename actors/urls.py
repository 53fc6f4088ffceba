from django.urls import path

from . import views

app_name = "actors"

urlpatterns = [
    path("", views.actor_list, name="actor_list"),
    path("<int:pk>/", views.actor_detail, name="actor_detail"),
]
