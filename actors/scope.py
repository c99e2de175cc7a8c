"""What a user may read and write, by territory: the one definition every exit uses.

A grant covers its territory's whole subtree (by ancestry path). Reading widens to
the enclosing département; writing stays inside the granted territory. Roles are
cumulative: a higher role can do all a lower one can.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from actors.roles import Role, rank

NATION_PATH = "/NFR/"  # the nation's path: every territory's starts with it


@dataclass(frozen=True)
class ScopeEntry:
    role: str
    path: str  # the granted territory's ancestry path

    @property
    def read_path(self) -> str:
        return departement_path(self.path)


@dataclass(frozen=True)
class Scope:
    entries: tuple[ScopeEntry, ...] = ()

    @property
    def highest_role(self) -> str | None:
        return max((e.role for e in self.entries), key=rank, default=None)

    def read_paths(self) -> list[str]:
        return minimal_paths(e.read_path for e in self.entries)

    def write_paths(self, minimum: str = Role.CONTRIBUTOR) -> list[str]:
        return minimal_paths(
            e.path for e in self.entries if rank(e.role) >= rank(minimum)
        )

    def can_read(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.read_paths())

    def can_write(self, path: str, minimum: str = Role.CONTRIBUTOR) -> bool:
        return any(path.startswith(p) for p in self.write_paths(minimum))

    def role_at(self, path: str) -> str | None:
        """The highest role whose grant covers this path (for writing)."""
        roles = [e.role for e in self.entries if path.startswith(e.path)]
        return max(roles, key=rank, default=None)


def departement_path(path: str) -> str:
    """'/NFR/R11/D92/C92012/' -> '/NFR/R11/D92/'; above a département, itself."""
    parts = path.strip("/").split("/")
    for i, part in enumerate(parts):
        if part.startswith("D"):
            return "/" + "/".join(parts[: i + 1]) + "/"
    return path


def minimal_paths(paths) -> list[str]:
    """Drop paths inside another one: fewer OR terms in every query."""
    unique = sorted(set(paths), key=len)
    kept: list[str] = []
    for path in unique:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def scope_of(user) -> Scope:
    """The user's scope from active grants, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, "_terrain_scope", None)
    if cached is None:
        from actors.models import Grant

        grants = (
            Grant.objects.filter(user=user)
            .active()
            .select_related("territory")
            .only("role", "territory__path")
        )
        cached = Scope(tuple(ScopeEntry(g.role, g.territory.path) for g in grants))
        user._terrain_scope = cached
    return cached


def forget_scope(user) -> None:
    user.__dict__.pop("_terrain_scope", None)


def paths_q(field: str, paths: list[str]) -> Q | None:
    """A Q matching objects whose Territory FK `field` lies under one of the paths."""
    if not paths:
        return None
    if NATION_PATH in paths:  # every territory is under the nation: no join needed
        return Q()
    return reduce(or_, (Q(**{f"{field}__path__startswith": p}) for p in paths))
