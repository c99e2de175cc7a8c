"""django-rules predicates for object checks, built on the same Scope as the lists.

A scoped object exposes `scope_path()`: the ancestry path of its territory.
"""

import rules

from actors.roles import Role
from actors.scope import scope_of


@rules.predicate
def is_in_read_scope(user, obj=None) -> bool:
    return obj is not None and scope_of(user).can_read(obj.scope_path())


@rules.predicate
def is_in_write_scope(user, obj=None) -> bool:
    return obj is not None and scope_of(user).can_write(
        obj.scope_path(), Role.CONTRIBUTOR
    )


@rules.predicate
def is_local_admin_of(user, obj=None) -> bool:
    return obj is not None and scope_of(user).can_write(
        obj.scope_path(), Role.LOCAL_ADMIN
    )


@rules.predicate
def is_any_local_admin(user) -> bool:
    return bool(scope_of(user).write_paths(Role.LOCAL_ADMIN))


@rules.predicate
def is_lead_operator_member(user, obj=None) -> bool:
    """A member of the organization leading the object (an intervention)."""
    organization = getattr(user, "organization_id", None)
    return (
        obj is not None
        and organization is not None
        and getattr(obj, "lead_operator_id", None) == organization
    )


@rules.predicate
def is_national_user(user) -> bool:
    """National users (and above) read funding and indicators everywhere."""
    return bool(scope_of(user).write_paths(Role.NATIONAL))


@rules.predicate
def has_organization(user) -> bool:
    return getattr(user, "organization_id", None) is not None
