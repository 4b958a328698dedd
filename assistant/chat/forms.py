"""Input of the browser chat's POSTs."""

from __future__ import annotations

from django import forms

from assistant.pipeline import MAX_QUESTION_CHARS


class AskForm(forms.Form):
    """A question, in an existing conversation or a new one."""

    question = forms.CharField(max_length=MAX_QUESTION_CHARS, strip=True)
    conversation = forms.IntegerField(required=False, min_value=1)


class FeedbackForm(forms.Form):
    """A thumbs up (1) or down (-1) with an optional comment."""

    rating = forms.TypedChoiceField(choices=[("1", "up"), ("-1", "down")], coerce=int)
    comment = forms.CharField(max_length=2000, required=False)
