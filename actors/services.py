"""Writes about people and access. Each is atomic, audited, and queues its mail with the write."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from actors import mail
from actors.audit import record
from actors.capabilities import (
    DECIDE_ACCESS_REQUEST,
    REVOKE_GRANT,
    grant_refusal,
    require,
)
from actors.identity import normalize_email
from actors.language import spoken_language
from actors.models import AccessRequest, AccessRequestStatus, Grant, Organization, User
from actors.roles import Role, rank
from actors.scope import forget_scope
from territory.models import Level, Territory

VERIFY_SALT = "actors.access-request.verify"
VERIFY_MAX_AGE = timedelta(days=3)


def absolute(path: str, request=None) -> str:
    """A link for an e-mail: on the host the request came to (the proxy's, when
    trusted), else on SITE_URL for mail sent outside a request (commands, jobs)."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


# --- account requests -------------------------------------------------------


@transaction.atomic
def request_access(data: dict, *, request=None) -> AccessRequest:
    """Record a request and send the e-mail verification link."""
    if data.get("role") == Role.SUPERADMIN:
        raise ValidationError({"role": _("This role cannot be requested.")})
    access_request = AccessRequest(**data)
    access_request.email = normalize_email(access_request.email)
    access_request.language = spoken_language()
    access_request.full_clean()
    access_request.save()
    token = signing.dumps({"id": access_request.pk}, salt=VERIFY_SALT)
    link = absolute(reverse("actors:verify-request", args=[token]), request)
    mail.send(
        [access_request.email],
        "actors/mail/verify_email",
        {"request": access_request, "link": link},
        language=access_request.language,
    )
    record(
        "access_request.created",
        target=access_request,
        request=request,
        actor_email=access_request.email,
    )
    return access_request


@transaction.atomic
def verify_access_request(token: str, *, request=None) -> AccessRequest:
    """Confirm the e-mail address; the request then goes to the admins who cover it."""
    try:
        payload = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError(
            _("This verification link is invalid or has expired.")
        ) from exc
    access_request = AccessRequest.objects.select_for_update().get(pk=payload["id"])
    if access_request.status == AccessRequestStatus.UNVERIFIED:
        access_request.status = AccessRequestStatus.PENDING
        access_request.verified_at = timezone.now()
        access_request.save(update_fields=["status", "verified_at"])
        notify_reviewers(access_request, "new_request", request=request)
        record(
            "access_request.verified",
            target=access_request,
            request=request,
            actor_email=access_request.email,
        )
    return access_request


def reviewers_of(territory: Territory) -> list[User]:
    """Local admins of the nearest covering level: département, else région, else national."""
    grants = (
        Grant.objects.active()
        .filter(
            user__is_active=True,
            role__in=[Role.LOCAL_ADMIN, Role.NATIONAL, Role.SUPERADMIN],
        )
        .select_related("user", "territory")
    )
    covering = [g for g in grants if territory.path.startswith(g.territory.path)]
    for level in (Level.DEPARTEMENT, Level.REGION):
        users = [
            g.user
            for g in covering
            if g.role == Role.LOCAL_ADMIN and g.territory.level == level
        ]
        if users:
            return users
    return [g.user for g in covering if g.role in (Role.NATIONAL, Role.SUPERADMIN)]


def notify_reviewers(
    access_request: AccessRequest, template: str, *, request=None
) -> None:
    link = absolute(reverse("actors:request-detail", args=[access_request.pk]), request)
    mail.send_to_users(
        reviewers_of(access_request.territory),
        f"actors/mail/{template}",
        {"request": access_request, "link": link},
        topic="notify_access_requests",
    )


@transaction.atomic
def approve_access_request(
    access_request: AccessRequest,
    *,
    acting_user,
    territory: Territory | None = None,
    role: str | None = None,
    request=None,
) -> Grant:
    """Approve, possibly narrowed to a sub-territory or a lower role; mail the requester."""
    access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    _check_decidable(access_request, acting_user)
    territory = territory or access_request.territory
    role = role or access_request.role
    if not territory.path.startswith(access_request.territory.path):
        raise ValidationError(
            {"territory": _("Approval can only narrow the requested territory.")}
        )
    if rank(role) > rank(access_request.role):
        raise ValidationError(
            {"role": _("Approval can only lower the requested role.")}
        )
    user = _user_for(access_request)
    grant = grant_access(
        user, role=role, territory=territory, acting_user=acting_user, request=request
    )
    access_request.status = AccessRequestStatus.APPROVED
    access_request.decided_by, access_request.decided_at, access_request.grant = (
        acting_user,
        timezone.now(),
        grant,
    )
    access_request.save()
    record(
        "access_request.approved",
        actor=acting_user,
        target=access_request,
        request=request,
        role=role,
        territory=territory.code,
    )
    mail.send(
        [user.email],
        "actors/mail/approved",
        {
            "request": access_request,
            "grant": grant,
            "link": _password_link(user, request),
        },
        language=access_request.language,
    )
    return grant


@transaction.atomic
def reject_access_request(
    access_request: AccessRequest, *, acting_user, reason: str, request=None
) -> AccessRequest:
    access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    _check_decidable(access_request, acting_user)
    if not reason.strip():
        raise ValidationError(
            {"decision_reason": _("A reason is required to reject a request.")}
        )
    access_request.status = AccessRequestStatus.REJECTED
    access_request.decided_by, access_request.decided_at = acting_user, timezone.now()
    access_request.decision_reason = reason.strip()
    access_request.save()
    record(
        "access_request.rejected",
        actor=acting_user,
        target=access_request,
        request=request,
        reason=reason,
    )
    mail.send(
        [access_request.email],
        "actors/mail/rejected",
        {"request": access_request},
        language=access_request.language,
    )
    return access_request


def _check_decidable(access_request: AccessRequest, acting_user) -> None:
    if access_request.status != AccessRequestStatus.PENDING:
        raise ValidationError(
            _("This request has already been decided or is not verified.")
        )
    require(
        acting_user,
        DECIDE_ACCESS_REQUEST,
        access_request,
        _("This request is outside your territory."),
    )


def _user_for(access_request: AccessRequest) -> User:
    user = User.objects.filter(email=normalize_email(access_request.email)).first()
    organization = access_request.organization or _new_organization(access_request)
    if user is None:
        user = User.objects.create_user(
            email=access_request.email,
            first_name=access_request.first_name,
            last_name=access_request.last_name,
            organization=organization,
            language=access_request.language,
        )  # no password yet: the approval mail holds a link to choose one
    return user


def _new_organization(access_request: AccessRequest) -> Organization | None:
    if not access_request.new_organization_name:
        return None
    organization, _created = Organization.objects.get_or_create(
        name=access_request.new_organization_name,
        territory=access_request.territory,
        defaults={"kind": access_request.new_organization_kind or "other"},
    )
    return organization


def _password_link(user: User, request=None) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return absolute(
        reverse(
            "actors:password-set", args=[uid, default_token_generator.make_token(user)]
        ),
        request,
    )


# --- grants and sessions ----------------------------------------------------


@transaction.atomic
def grant_access(
    user: User,
    *,
    role: str,
    territory: Territory,
    acting_user,
    expires_at=None,
    request=None,
) -> Grant:
    refusal = grant_refusal(acting_user, role, territory, user)
    if refusal:
        raise PermissionDenied(refusal)
    grant = Grant.objects.create(
        user=user,
        role=role,
        territory=territory,
        expires_at=expires_at,
        granted_by=acting_user,
    )
    record(
        "grant.created",
        actor=acting_user,
        target=grant,
        request=request,
        user=user.email,
        role=role,
        territory=territory.code,
    )
    forget_scope(user)
    return grant


@transaction.atomic
def revoke_grant(grant: Grant, *, acting_user, request=None) -> Grant:
    """End a grant; the holder's sessions and API tokens end with it."""
    require(
        acting_user, REVOKE_GRANT, grant, _("This grant is outside your territory.")
    )
    refusal = grant_refusal(acting_user, grant.role, grant.territory, grant.user)
    if refusal:
        raise PermissionDenied(refusal)
    grant.revoked_at, grant.revoked_by = timezone.now(), acting_user
    grant.save(update_fields=["revoked_at", "revoked_by"])
    end_sessions(grant.user)
    record(
        "grant.revoked",
        actor=acting_user,
        target=grant,
        request=request,
        user=grant.user.email,
        role=grant.role,
    )
    return grant


def end_sessions(user: User) -> None:
    """Rotating the stamp invalidates every session hash; tokens are deleted."""
    user.security_stamp = uuid.uuid4()
    user.save(update_fields=["security_stamp"])
    Token.objects.filter(user=user).delete()
    forget_scope(user)


@transaction.atomic
def accept_charter(user: User, *, request=None) -> None:
    user.charter_version = settings.CHARTER_VERSION
    user.charter_accepted_at = timezone.now()
    user.save(update_fields=["charter_version", "charter_accepted_at"])
    record(
        "charter.accepted",
        actor=user,
        target=user,
        request=request,
        version=settings.CHARTER_VERSION,
    )
