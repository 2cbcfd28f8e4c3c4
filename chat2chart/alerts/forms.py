# SPDX-License-Identifier: MIT
"""The "Create alert" form on a chart: condition, threshold, schedule and recipients."""

from __future__ import annotations

from django import forms

from chat2chart.alerts.models import Alert
from chat2chart.alerts.services import INTERVALS, SNOOZES
from chat2chart.analytics.anomalies import SENSITIVITIES


class AlertForm(forms.Form):
    title = forms.CharField(max_length=200, required=False, label="Name")
    condition = forms.ChoiceField(choices=Alert.Condition.choices, label="Alert when the value")
    threshold = forms.FloatField(
        required=False,
        label="Threshold",
        help_text="A number for above/below; a percentage (10 = 10 %) for a change; empty otherwise.",
    )
    sensitivity = forms.ChoiceField(
        choices=[(key, s.label.capitalize()) for key, s in SENSITIVITIES.items()],
        initial="balanced",
        label="Anomaly sensitivity",
    )
    interval_minutes = forms.TypedChoiceField(
        choices=list(INTERVALS.items()), coerce=int, initial=60, label="Check"
    )
    notify_me = forms.BooleanField(required=False, initial=True, label="Notify me")
    emails = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Also email",
        help_text="Members' addresses, or addresses at the organisation's allowed domains; one per line.",
    )
    slack_url = forms.URLField(required=False, label="Slack incoming webhook URL", assume_scheme="https")
    webhook_url = forms.URLField(required=False, label="Webhook URL", assume_scheme="https")
    webhook_secret = forms.CharField(
        required=False, label="Webhook signing secret", widget=forms.PasswordInput(render_value=False)
    )

    def email_list(self) -> list[str]:
        text = self.cleaned_data.get("emails") or ""
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


class SnoozeForm(forms.Form):
    minutes = forms.TypedChoiceField(choices=[(0, "Wake"), *SNOOZES.items()], coerce=int, label="Snooze for")
