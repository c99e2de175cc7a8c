"""The API's door to the named capabilities (actors/capabilities.py)."""

from functools import cache

from rest_framework.permissions import BasePermission

from actors import capabilities


@cache
def Can(
    capability: str,
) -> type[BasePermission]:  # a factory named like the class it makes
    """A DRF permission class for one capability, checked on the object.

    `permission_classes=[IsAuthenticated, Can(CHANGE_SITE)]`: lists are scoped by their
    queryset; this answers for the one object a detail route acts on.
    """

    class HasCapability(BasePermission):
        def has_object_permission(self, request, view, obj) -> bool:
            return capabilities.can(request.user, capability, obj)

    HasCapability.__name__ = HasCapability.__qualname__ = f"Can({capability})"
    return HasCapability
