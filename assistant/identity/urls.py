"""Routes of the staff people pages."""

from __future__ import annotations

from django.urls import path

from assistant.identity import views

urlpatterns = [
    path("", views.people_list, name="people"),
    path("<int:user_id>/", views.person_detail, name="people-detail"),
]
