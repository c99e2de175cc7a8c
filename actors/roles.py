"""Roles, from least to most, as in DESIGN §2: Django choices and their ranking.

What each role may do is not here: see actors/capabilities.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OBSERVER = "observer", _("observer")
    CONTRIBUTOR = "contributor", _("contributor")
    LOCAL_ADMIN = "local_admin", _("local administrator")
    NATIONAL = "national", _("national")
    SUPERADMIN = "superadmin", _("super administrator")


RANK = {role: rank for rank, role in enumerate(Role)}


def rank(role: str) -> int:
    return RANK[Role(role)]


def at_least(role: str, minimum: str) -> bool:
    return rank(role) >= rank(minimum)
