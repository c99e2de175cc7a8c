import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.identity import normalize_email
from actors.language import LanguageField
from actors.managers import (
    AccessRequestQuerySet,
    AuditEventQuerySet,
    GrantQuerySet,
    OrganizationQuerySet,
    UserManager,
)
from actors.roles import Role
from lib.free_text import validate_free_text


class OrganizationKind(models.TextChoices):
    ASSOCIATION = "association", _("association")
    STATE_SERVICE = "state_service", _("state service / prefecture")
    LOCAL_AUTHORITY = "local_authority", _("local authority")
    MINISTRY = "ministry", _("ministry")
    OPERATOR = "operator", _("operator")
    OTHER = "other", _("other")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("territory of activity"),
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "territory"], name="organization_name_territory"
            )
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractBaseUser, PermissionsMixin):
    """A platform user (a professional, never a resident), logging in by e-mail."""

    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    charter_version = models.PositiveIntegerField(
        _("accepted charter version"), default=0
    )
    charter_accepted_at = models.DateTimeField(
        _("charter accepted at"), null=True, blank=True
    )
    # Rotated to end every session at once (revocation, deactivation).
    security_stamp = models.UUIDField(
        _("security stamp"), default=uuid.uuid4, editable=False
    )
    inactivity_warned_at = models.DateTimeField(
        _("inactivity warning sent at"), null=True, blank=True
    )
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # The language of their mail: the one they last used the site in.
    language = LanguageField()
    # Which optional mails they get (actors.mail.send_to_users reads them by name);
    # access decisions, password and account mails are always sent.
    notify_access_requests = models.BooleanField(
        _("access requests to review"),
        default=True,
        help_text=_("Local administrators: a new request in your territory."),
    )
    notify_public_reports = models.BooleanField(
        _("public reports to handle"),
        default=True,
        help_text=_("Local administrators: a visitor's report in your territory."),
    )
    notify_weekly_digest = models.BooleanField(
        _("weekly summary of the territory"),
        default=True,
        help_text=_("Local administrators: sites and interventions changed last week."),
    )
    notify_follow_digest = models.BooleanField(
        _("daily news of what I follow"),
        default=True,
        help_text=_("The sites and interventions you chose to follow."),
    )
    notify_report_reminders = models.BooleanField(
        _("reminders of yearly intervention reports"),
        default=True,
        help_text=_("Members of an intervention's lead operator, before the due date."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Letter case never makes a second account (nor a second lockout counter).
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_any_case",
                violation_error_message=_(
                    "An account with this e-mail already exists."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_session_auth_hash(self) -> str:
        # Sessions carry this hash; changing the stamp logs the user out everywhere.
        return f"{super().get_session_auth_hash()}:{self.security_stamp}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def needs_charter(self) -> bool:
        return self.charter_version < settings.CHARTER_VERSION


class Grant(models.Model):
    """A role on a territory's whole subtree, for one user."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="grants",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grants_given",
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grants_revoked",
    )

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.territory}"

    def scope_path(self) -> str:
        return self.territory.path

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class AccessRequestStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("e-mail not verified yet")
    PENDING = "pending", _("waiting for a decision")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class AccessRequest(models.Model):
    """Anyone may ask for access; a local admin whose scope covers it decides."""

    free_text_fields = ("reason", "decision_reason", "new_organization_name")

    email = models.EmailField(_("e-mail address"))
    language = LanguageField()
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    new_organization_name = models.CharField(
        _("new organization name"), max_length=200, blank=True
    )
    new_organization_kind = models.CharField(
        _("new organization kind"),
        max_length=20,
        choices=OrganizationKind.choices,
        blank=True,
    )
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("requested territory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("requested role"), max_length=20, choices=Role.choices)
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AccessRequestStatus.choices,
        default=AccessRequestStatus.UNVERIFIED,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    grant = models.OneToOneField(
        Grant,
        verbose_name=_("resulting grant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=[Role.SUPERADMIN]),
                name="access_request_never_superadmin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.get_role_display()} · {self.territory}"

    def scope_path(self) -> str:
        return self.territory.path

    def clean(self) -> None:
        validate_free_text(self, *self.free_text_fields)

    def organization_label(self) -> str:
        return (
            self.organization.name if self.organization else self.new_organization_name
        )


class AuditEvent(models.Model):
    """Append-only record of every decision, write, export and sensitive read."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_email = models.CharField(_("actor e-mail"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60, blank=True)
    target_id = models.CharField(_("target id"), max_length=60, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # The target's territory path, so local admins read the events of their territory.
    scope_path = models.CharField(
        _("territory path"), max_length=80, blank=True, db_index=True
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class OutgoingMail(models.Model):
    """A rendered message waiting for the mail server; deleted once it is sent.

    Kept out of the job's arguments so that addresses and one-time links are neither
    written to the worker's log nor kept in the job history after sending.
    """

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("body"))
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")

    def __str__(self) -> str:
        return self.subject
