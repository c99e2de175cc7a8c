from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors import mail
from actors.models import AccessRequest, Organization
from actors.roles import Role
from actors.services import absolute
from lib.free_text import ConfirmNamesMixin
from territory.models import Level, Territory

REQUESTABLE_ROLES = [(r.value, r.label) for r in Role if r != Role.SUPERADMIN]
TERRITORY_LEVELS = [
    (lv.value, lv.label)
    for lv in (Level.COMMUNE, Level.DEPARTEMENT, Level.REGION, Level.NATION)
]


class TerritoryFieldsMixin:
    """Level + INSEE code, resolved to a Territory (codes repeat across levels: 11, 93)."""

    def resolve_territory(self, required: bool) -> Territory | None:
        level, code = (
            self.cleaned_data.get("territory_level"),
            (self.cleaned_data.get("territory_code") or "").strip(),
        )
        if not code:
            if required:
                self.add_error(
                    "territory_code", _("Give the INSEE code of the territory.")
                )
            return None
        territory = Territory.objects.filter(level=level, code__iexact=code).first()
        if territory is None:
            self.add_error(
                "territory_code",
                _("No %(level)s has the code %(code)s.")
                % {"level": level, "code": code},
            )
        return territory


class AccessRequestForm(ConfirmNamesMixin, TerritoryFieldsMixin, forms.ModelForm):
    territory_level = forms.ChoiceField(
        label=_("Territory level"), choices=TERRITORY_LEVELS
    )
    territory_code = forms.CharField(
        label=_("INSEE code of the territory"),
        max_length=12,
        help_text=_("e.g. 92012 (commune), 92 (département)"),
    )
    organization = forms.ModelChoiceField(
        label=_("Existing organization"),
        queryset=Organization.objects.all(),
        required=False,
    )
    role = forms.ChoiceField(label=_("Requested role"), choices=REQUESTABLE_ROLES)

    class Meta:
        model = AccessRequest
        fields = (
            "email",
            "first_name",
            "last_name",
            "organization",
            "new_organization_name",
            "new_organization_kind",
            "role",
            "reason",
        )
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}

    def clean(self):
        cleaned = super().clean()
        self.instance.territory = self.resolve_territory(required=True)
        if not cleaned.get("organization") and not cleaned.get("new_organization_name"):
            self.add_error(
                "new_organization_name",
                _("Choose an existing organization or name a new one."),
            )
        if cleaned.get("new_organization_name") and not cleaned.get(
            "new_organization_kind"
        ):
            self.add_error(
                "new_organization_kind", _("Say what kind of organization it is.")
            )
        return cleaned

    def request_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return {**data, "territory": self.instance.territory}


class ApproveForm(TerritoryFieldsMixin, forms.Form):
    territory_level = forms.ChoiceField(
        label=_("Narrow to level"), choices=TERRITORY_LEVELS, required=False
    )
    territory_code = forms.CharField(
        label=_("Narrow to INSEE code"), max_length=12, required=False
    )
    role = forms.ChoiceField(
        label=_("Role granted"),
        choices=[("", _("as requested")), *REQUESTABLE_ROLES],
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["territory"] = self.resolve_territory(required=False)
        return cleaned


class RejectForm(ConfirmNamesMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("A reason is required to reject a request."))
        return reason


class CharterForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read and I accept the usage charter"), required=True
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, its mail sent through actors.mail in the user's language.

    Django's form already answers the same whatever the address (no enumeration) and
    skips inactive users and users without a usable password.
    """

    request = None  # set by the view: links are built on the request's host

    def send_mail(self, subject_template_name, email_template_name, context,
                  from_email, to_email, html_email_template_name=None) -> None:  # fmt: skip
        user = context["user"]
        path = reverse("actors:password-set", args=[context["uid"], context["token"]])
        mail.send(
            [to_email],
            "actors/mail/password_reset",
            {"user": user, "link": absolute(path, self.request)},
            language=user.language,
        )


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form, its refusal worded for an e-mail address (Django's French
    builds "un adresse électronique" from the field's name)."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _(
            "Enter a correct e-mail address and password. The password is "
            "case-sensitive."
        ),
    }


class NotificationForm(forms.ModelForm):
    """The optional mails a user gets; only those their roles can receive are shown."""

    class Meta:
        from actors.models import User

        model = User
        fields = mail.TOPICS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from actors.scope import scope_of

        user = self.instance
        if not scope_of(user).write_paths(Role.LOCAL_ADMIN):
            for name in (
                "notify_access_requests",
                "notify_public_reports",
                "notify_weekly_digest",
            ):
                del self.fields[name]
        if user.organization_id is None:
            del self.fields["notify_report_reminders"]
