from functools import reduce
from operator import or_

from django.contrib.auth.base_user import BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from actors.identity import normalize_email
from actors.roles import Role
from actors.scope import NATION_PATH, paths_q, scope_of


class UserManager(BaseUserManager):
    """Users log in with their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: normalize_email(username)})


class ScopedQuerySet(models.QuerySet):
    """Lists scoped by territory. Subclasses name their Territory FK in `scope_field`."""

    scope_field = "commune"

    def visible_to(self, user) -> "ScopedQuerySet":
        q = paths_q(self.scope_field, scope_of(user).read_paths())
        return self.filter(q) if q is not None else self.none()

    def editable_by(self, user, minimum: str = Role.CONTRIBUTOR) -> "ScopedQuerySet":
        q = paths_q(self.scope_field, scope_of(user).write_paths(minimum))
        return self.filter(q) if q is not None else self.none()


class GrantQuerySet(models.QuerySet):
    def active(self, at=None) -> "GrantQuerySet":
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )

    def managed_by(self, user) -> "GrantQuerySet":
        """Grants an admin may see and revoke: inside their local_admin scope."""
        q = paths_q("territory", scope_of(user).write_paths(Role.LOCAL_ADMIN))
        return self.filter(q) if q is not None else self.none()


class AccessRequestQuerySet(models.QuerySet):
    def pending(self) -> "AccessRequestQuerySet":
        return self.filter(status="pending")

    def decidable_by(self, user) -> "AccessRequestQuerySet":
        """Requests for a territory inside the admin's local_admin scope."""
        q = paths_q("territory", scope_of(user).write_paths(Role.LOCAL_ADMIN))
        return self.filter(q) if q is not None else self.none()


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "OrganizationQuerySet":
        """Organizations inside the user's reading scope, or above it (their prefecture, ministry)."""
        from territory.managers import ancestor_paths

        paths = scope_of(user).read_paths()
        if not paths:
            return self.none()
        above = {a for path in paths for a in ancestor_paths(path)}
        return self.filter(paths_q("territory", paths) | Q(territory__path__in=above))


class AuditEventQuerySet(models.QuerySet):
    def readable_by(self, user) -> "AuditEventQuerySet":
        """National admins of France read every event; local admins their territory's."""
        scope = scope_of(user)
        if scope.can_write(NATION_PATH, Role.NATIONAL):
            return self.all()
        paths = scope.write_paths(Role.LOCAL_ADMIN)
        if not paths:
            return self.none()
        return self.filter(reduce(or_, (Q(scope_path__startswith=p) for p in paths)))
