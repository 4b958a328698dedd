"""The admin's user form refuses local group edits of directory-managed people, saying why."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm

from assistant.identity.models import IdentityEvent
from assistant.identity.services import is_directory_managed
from assistant.identity.signals import DirectoryManaged


class DirectoryAwareUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    def clean_groups(self) -> Any:
        groups = self.cleaned_data.get("groups")
        if self.instance.pk and is_directory_managed(self.instance):
            before = set(self.instance.groups.values_list("pk", flat=True))
            after = {g.pk for g in groups or ()}
            if before != after:
                raise forms.ValidationError(
                    DirectoryManaged.message_for(self.instance.get_username())
                )
        return groups


class DirectoryAwareUserAdmin(UserAdmin):  # type: ignore[type-arg]
    form = DirectoryAwareUserChangeForm


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, DirectoryAwareUserAdmin)


@admin.register(IdentityEvent)
class IdentityEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "kind", "username", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["username"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
