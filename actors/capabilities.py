"""Who may do what: every capability named once, over the one Scope (actors/scope.py).

Each name is a django-rules permission, checked by that same name everywhere through
`can()`: in services (`require()`), views, the API (`actors.api.permissions.Can`)
and the admin. `can()` asks the rule itself, so Django's `is_superuser` flag grants
nothing the user's territorial grants do not (a superadmin holds a grant on France). The object only needs `scope_path()`:
a site, a point, a grant, an access request, a public report, or a commune (a
capability such as DECLARE_SITE is checked on the commune the new object falls in).
Lists are not checked object by object: their querysets are scoped (`visible_to`).
"""

from functools import wraps

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from actors.predicates import (
    has_organization,
    is_any_local_admin,
    is_in_read_scope,
    is_in_write_scope,
    is_lead_operator_member,
    is_local_admin_of,
    is_national_user,
)
from actors.roles import Role, rank
from actors.scope import scope_of

# Sites: contributors declare and update; local admins close, reopen and follow
# court and administrative procedures.
DECLARE_SITE = "sites.add_site"
CHANGE_SITE = "sites.change_site"
CLOSE_SITE = "sites.close_site"
SEE_PROCEDURES = "sites.see_procedures"
# Bulk imports of sites: local admins, each row inside the communes they administer.
IMPORT_SITES = "sites.import_site"
IMPORT_ANY_SITES = "sites.import_some_sites"

# Accessibility: contributors report spaces; local admins verify or remove them,
# set a commune's rules and import datasets.
REPORT_POINT = "sites.add_accessibilitypoint"
VERIFY_POINT = "sites.verify_accessibilitypoint"
SET_PARKING_RULES = "sites.change_parkingrules"
IMPORT_POINTS = "sites.import_accessibilitypoint"
IMPORT_ANY_POINTS = "sites.import_some_accessibilitypoints"

# Public reports from anonymous visitors: handled by local admins.
HANDLE_REPORT = "sites.handle_publicreport"
REVIEW_REPORTS = "sites.review_publicreports"

# Access: local admins review and decide requests, grant and revoke in their scope
# (within the role ceiling of `grant_refusal`), and read their territory's audit log.
REVIEW_ACCESS_REQUESTS = "actors.review_accessrequest"
DECIDE_ACCESS_REQUEST = "actors.decide_accessrequest"
GRANT_ACCESS = "actors.add_grant"
REVOKE_GRANT = "actors.revoke_grant"
READ_AUDIT_LOG = "actors.view_auditevent"

# Interventions: the lead operator's members act on their own intervention inside
# their writing scope; local admins of its territory on any. Funding is read by the
# lead operator, the territory's local admins and national users only.
ADD_INTERVENTION = "interventions.add_intervention"
CHANGE_INTERVENTION = "interventions.change_intervention"
REPORT_INTERVENTION = "interventions.report_intervention"
CLOSE_INTERVENTION = "interventions.close_intervention"
SEE_FUNDING = "interventions.see_funding"
NOTE_INTERVENTION = "interventions.add_interventionnote"
FOLLOW = "interventions.add_follow"
DECLARE_PRESENCE = "interventions.add_sitepresence"
SEE_OVERDUE_REPORTS = "interventions.view_overdue_reports"

_operator_or_local_admin = (
    is_lead_operator_member & is_in_write_scope
) | is_local_admin_of

CAPABILITIES = {
    DECLARE_SITE: is_in_write_scope,
    CHANGE_SITE: is_in_write_scope,
    CLOSE_SITE: is_local_admin_of,
    SEE_PROCEDURES: is_local_admin_of,
    IMPORT_SITES: is_local_admin_of,
    IMPORT_ANY_SITES: is_any_local_admin,
    REPORT_POINT: is_in_write_scope,
    VERIFY_POINT: is_local_admin_of,
    SET_PARKING_RULES: is_local_admin_of,
    IMPORT_POINTS: is_local_admin_of,
    IMPORT_ANY_POINTS: is_any_local_admin,
    HANDLE_REPORT: is_local_admin_of,
    REVIEW_REPORTS: is_any_local_admin,
    REVIEW_ACCESS_REQUESTS: is_any_local_admin,
    DECIDE_ACCESS_REQUEST: is_local_admin_of,
    GRANT_ACCESS: is_local_admin_of,
    REVOKE_GRANT: is_local_admin_of,
    READ_AUDIT_LOG: is_any_local_admin,
    ADD_INTERVENTION: _operator_or_local_admin,
    CHANGE_INTERVENTION: _operator_or_local_admin,
    REPORT_INTERVENTION: _operator_or_local_admin,
    CLOSE_INTERVENTION: _operator_or_local_admin,
    SEE_FUNDING: (is_lead_operator_member & is_in_read_scope)
    | is_local_admin_of
    | is_national_user,
    # Partners and other contributors of the territory write in the journal too.
    NOTE_INTERVENTION: _operator_or_local_admin | is_in_write_scope,
    FOLLOW: is_in_read_scope,
    # Checked on the site: contributors whose writing scope covers it, for their
    # own organization.
    DECLARE_PRESENCE: has_organization & is_in_write_scope,
    SEE_OVERDUE_REPORTS: is_any_local_admin,
}

for _name, _predicate in CAPABILITIES.items():
    rules.add_perm(_name, _predicate)


def _refusals() -> dict[str, str]:
    """Why a capability is refused, in words: shown on the 403 page (templates/403.html),
    which is only reached by someone who may read the object (else 404)."""
    only_editors = _(
        "You can read this intervention but not change it: only members of its lead "
        "operator working in its territory and the local administrators of its "
        "territory can."
    )
    return {
        CHANGE_SITE: _(
            "You can read this site but not change it: it is outside the "
            "territories where you may write."
        ),
        CLOSE_SITE: _(
            "You can read this site but not close or reopen it: only the local "
            "administrators of its territory can."
        ),
        SEE_PROCEDURES: _(
            "You can read this site but not its procedures: only the local "
            "administrators of its territory follow them."
        ),
        VERIFY_POINT: _(
            "You can see this accessibility point but not verify or remove it: only "
            "the local administrators of its commune can."
        ),
        SET_PARKING_RULES: _(
            "You can read this commune's rules and zones but not change them: only "
            "the local administrators of the commune can."
        ),
        IMPORT_ANY_POINTS: _("Only local administrators import accessibility points."),
        IMPORT_ANY_SITES: _("Only local administrators import sites."),
        HANDLE_REPORT: _(
            "This report is outside the territories where you are a local administrator."
        ),
        REVIEW_REPORTS: _(
            "Public reports are handled by the local administrators of the territory "
            "they fall in; you are not a local administrator."
        ),
        CHANGE_INTERVENTION: only_editors,
        REPORT_INTERVENTION: only_editors,
        CLOSE_INTERVENTION: only_editors,
        NOTE_INTERVENTION: _(
            "You can read this intervention but not write in its journal: only "
            "contributors of its territory, members of its lead operator and its "
            "local administrators can."
        ),
        SEE_FUNDING: _(
            "Only members of the lead operator, the local administrators of the "
            "territory and national users see an intervention's funding."
        ),
        SEE_OVERDUE_REPORTS: _(
            "Only local administrators follow the reports of their territory's "
            "interventions."
        ),
    }


# Capabilities that are a territorial role and nothing else, as that role's minimum:
# where they hold is a list of ancestry paths, which a query can test on every row
# at once (the SQL site export fills procedures only under these paths).
ROLE_CAPABILITIES = {SEE_PROCEDURES: Role.LOCAL_ADMIN}


def paths_where(user, capability: str) -> list[str]:
    """The territories (ancestry paths) under which `can(user, capability, obj)` holds
    for any object there; tests check it against `can` itself."""
    return scope_of(user).write_paths(ROLE_CAPABILITIES[capability])


def refusal(capability: str) -> str:
    """The reason a refused capability gives; its name when none is written."""
    return _refusals().get(capability, capability)


def can(user, capability: str, obj=None) -> bool:
    return rules.has_perm(capability, user, obj)


def require(user, capability: str, obj=None, message: str = "") -> None:
    """Raise PermissionDenied, with the caller's reason or the capability's, unless
    the user may."""
    if not can(user, capability, obj):
        raise PermissionDenied(message or refusal(capability))


def capability_required(capability: str):
    """View decorator: 403 unless the signed-in user holds the capability somewhere."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require(request.user, capability)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def grant_refusal(acting_user, role: str, territory, target_user=None) -> str | None:
    """Why acting_user may not grant (or revoke) this role here, or None when allowed.

    Beyond the territory, a ceiling: never above one's own role, and only national
    users (and above) hand out the local administrator role.
    """
    if not can(acting_user, GRANT_ACCESS, territory):
        return _("You are not an administrator of this territory.")
    acting_role = scope_of(acting_user).role_at(territory.path)
    if rank(role) > rank(acting_role):
        return _("You cannot grant a role above your own.")
    if rank(role) >= rank(Role.LOCAL_ADMIN) and rank(acting_role) < rank(Role.NATIONAL):
        return _("Only national administrators can grant the local administrator role.")
    if target_user is not None and target_user.pk == acting_user.pk:
        return _("You cannot change your own access.")
    return None
