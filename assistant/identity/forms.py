"""Staff forms of the people pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Group


class GroupsForm(forms.Form):
    """The groups of a local person, as staff set them by hand."""

    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
