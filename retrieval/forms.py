"""Forms of the staff documents page: who may read a document, the files to upload, and the
search and filters of the list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat

from retrieval import selectors
from retrieval.models import Document

ORG_WIDE = "org"
RESTRICTED = "restricted"


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that lets the browser pick several files at once."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field whose cleaned value is a list of uploaded files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        """Clean each file on its own; the size limit is checked per file by the form."""
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError("Choose at least one file.", code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class AccessForm(forms.Form):
    """Org-wide, or restricted to chosen groups and people (the owner always keeps access)."""

    access = forms.ChoiceField(
        choices=[
            (ORG_WIDE, "Everyone in the organisation"),
            (RESTRICTED, "Only the groups and people chosen below"),
        ],
        initial=ORG_WIDE,
        widget=forms.RadioSelect,
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    users = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict[str, Any]:
        """A restricted document names somebody; an org-wide one needs no list."""
        cleaned = super().clean() or {}
        if cleaned.get("access") == RESTRICTED:
            if not cleaned.get("groups") and not cleaned.get("users"):
                raise forms.ValidationError(
                    "Choose at least one group or person, or make the document org-wide.",
                    code="nobody",
                )
        elif cleaned.get("access") == ORG_WIDE:
            # Org-wide already includes everyone; stored lists would only confuse a later change.
            cleaned["groups"] = Group.objects.none()
            cleaned["users"] = get_user_model().objects.none()
        return cleaned

    @property
    def org_wide(self) -> bool:
        """Whether the cleaned choice is org-wide."""
        return bool(self.cleaned_data["access"] == ORG_WIDE)


class UploadForm(AccessForm):
    """One or more files and who may read them."""

    uploads = MultipleFileField(label="Files")


class DocumentFilterForm(forms.Form):
    """Search and filters of the documents list (page and API): `q`, `status`, `access`, `group`."""

    q = forms.CharField(required=False, max_length=300, label="Search")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Document.Status.choices]
    )
    access = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any access"),
            (selectors.ACCESS_ORG, "Org-wide"),
            (selectors.ACCESS_GROUP, "Restricted to groups"),
            (selectors.ACCESS_PERSON, "Restricted to people"),
        ],
    )
    # A group's name or id; given alone, it means access "group".
    group = forms.CharField(required=False, max_length=150)

    def clean_group(self) -> Group | None:
        """The named group, or None when no group was asked for."""
        value = (self.cleaned_data.get("group") or "").strip()
        if not value:
            return None
        group = selectors.group_find(name_or_id=value)
        if group is None:
            raise forms.ValidationError(f"There is no group named (or numbered) “{value}”.")
        return group

    def clean(self) -> dict[str, Any]:
        """A group filter goes with access "group" (or none)."""
        cleaned = super().clean() or {}
        if cleaned.get("group") is not None and cleaned.get("access") not in ("", None, "group"):
            raise forms.ValidationError(
                "A group filter goes with access “group” only.", code="group_access"
            )
        return cleaned

    def documents(self) -> QuerySet[Document]:
        """The filtered documents; call only once the form is valid."""
        data = self.cleaned_data
        return selectors.document_list(
            q=data["q"], status=data["status"], access=data["access"], group=data["group"]
        )

    @property
    def active(self) -> bool:
        """Whether any search or filter is set."""
        return self.is_bound and any(self.data.get(f) for f in self.fields)


def size_error(file: UploadedFile) -> str:
    """Why a file is too large to accept, or "" when it is within MAX_UPLOAD_BYTES."""
    limit = settings.MAX_UPLOAD_BYTES
    size = file.size or 0
    if size <= limit:
        return ""
    return (
        f"{file.name} is {filesizeformat(size)}, over the upload limit of "
        f"{filesizeformat(limit)}; nothing was stored."
    )


def form_errors(form: forms.Form) -> list[str]:
    """A form's errors as plain sentences, for JSON answers and page messages."""
    messages: list[str] = []
    for field, errors in form.errors.items():
        label = "" if field == "__all__" else f"{form.fields[field].label or field.title()}: "
        messages.extend(f"{label}{error}" for error in errors)
    return messages
