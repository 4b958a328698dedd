"""Routes (filled in by the feature)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
