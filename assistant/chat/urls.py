"""Routes of the browser chat and the staff audit pages."""

from __future__ import annotations

from django.urls import path

from assistant.chat import staff_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("conversations/<int:conversation_id>/", views.conversation, name="conversation"),
    path("ask", views.ask, name="ask"),
    path("conversations/<int:conversation_id>/regenerate", views.regenerate, name="regenerate"),
    path("answers/<int:message_id>/feedback", views.feedback, name="feedback"),
    path("sources/<int:chunk_id>", views.source, name="source"),
    path("staff/moderation/", staff_views.moderation_list, name="staff-moderation"),
    path("staff/traces/", staff_views.trace_list, name="staff-traces"),
    path("staff/traces/<int:message_id>/", staff_views.trace_detail, name="staff-trace"),
    path("staff/usage/", staff_views.usage, name="staff-usage"),
]
