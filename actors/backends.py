"""Loading the signed-in user of each request with their grants, in one query.

Every request of a signed-in user loads the user, and nearly every one then reads
their grants (actors.scope.scope_of): two ORM queries that cost more than a light
tile or list itself (`make bench`: about 2 ms of a 7 ms tile). Here one statement
reads both; the scope it gives is scope_of's, as tests/actors/test_backends.py checks.
"""

from django.contrib.auth.backends import ModelBackend
from django.db import connections
from django.utils import timezone

from actors.models import Grant, User
from actors.scope import Scope, ScopeEntry
from territory.models import Territory


def _user_sql() -> str:
    quote = connections["default"].ops.quote_name
    grants, territories = quote(Grant._meta.db_table), quote(Territory._meta.db_table)
    # GrantQuerySet.active() (not revoked, not expired), in Grant.Meta.ordering.
    return f"""SELECT u.*, ARRAY(
        SELECT ARRAY[g.role::text, t.path::text] FROM {grants} g
        JOIN {territories} t ON t.id = g.territory_id
        WHERE g.user_id = u.id AND g.revoked_at IS NULL
          AND (g.expires_at IS NULL OR g.expires_at > %s)
        ORDER BY g.granted_at DESC, g.id DESC) AS terrain_grants
    FROM {quote(User._meta.db_table)} u WHERE u.id = %s"""  # noqa: S608 (names only)


class ScopedModelBackend(ModelBackend):
    """Django's ModelBackend, whose get_user also caches the user's scope."""

    def get_user(self, user_id):
        try:
            user_id = User._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001 (a session holding garbage: no user)
            return None
        found = list(User.objects.raw(_user_sql(), [timezone.now(), user_id]))
        if not found or not self.user_can_authenticate(found[0]):
            return None
        user = found[0]
        grants = user.__dict__.pop("terrain_grants") or []
        user._terrain_scope = Scope(tuple(ScopeEntry(r, p) for r, p in grants))
        return user
