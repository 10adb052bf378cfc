"""Forms of the alert-rules page; the services check each rule against its kind."""

from django import forms

from alerts.models import AlertRule


class AlertRuleForm(forms.Form):
    """One rule's editable fields (the kind is fixed once created)."""

    scope = forms.ChoiceField(choices=AlertRule.Scope.choices)
    scope_name = forms.CharField(required=False, max_length=120, label="Only")
    threshold = forms.DecimalField(required=False, max_digits=20, decimal_places=4, min_value=0)
    direction = forms.ChoiceField(choices=AlertRule.Direction.choices, required=False)
    enabled = forms.BooleanField(required=False, label="On")
    notify_email = forms.BooleanField(required=False, label="E-mail")


class NewAlertRuleForm(AlertRuleForm):
    kind = forms.ChoiceField(choices=AlertRule.Kind.choices)
    field_order = ["kind", "scope", "scope_name", "threshold", "direction"]


class EmailChoicesForm(forms.Form):
    weekly_report = forms.BooleanField(required=False, label="Weekly income report")
    alert_kinds = forms.MultipleChoiceField(
        choices=AlertRule.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Alert digests",
    )
    quiet_start = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
