"""Admin for sites and accessibility data, through the same territory scope as every exit.

Writes made here do not bypass the rules: the admin only lists what `visible_to`
returns, and changes to sites are refused (they go through the services, audited).
"""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from actors.capabilities import (
    SET_PARKING_RULES,
    VERIFY_POINT,
    can,
)
from sites.models import (
    AccessibilityPoint,
    ParkingRules,
    RestrictedZone,
    Site,
    SiteExport,
)


class ScopedAdmin(LeafletGeoAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    # The capability a change needs, checked on the object (None: the list page).
    change_capability = ""

    def has_change_permission(self, request, obj=None):
        allowed = obj is None or can(request.user, self.change_capability, obj)
        return super().has_change_permission(request, obj) and allowed

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(ScopedAdmin):
    """Read-only: sites change through the forms and API (history, stale-edit checks)."""

    list_display = ("__str__", "commune", "kind", "status", "people", "updated_at")
    list_filter = ("status", "kind", "water_status")
    search_fields = ("name", "address", "commune__name", "commune__code")
    raw_id_fields = ("commune",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessibilityPoint)
class AccessibilityPointAdmin(ScopedAdmin):
    list_display = ("__str__", "commune", "spaces", "status", "source", "source_id")
    list_filter = ("status", "source")
    search_fields = ("address", "source_id", "commune__name")
    raw_id_fields = ("commune", "reported_by", "verified_by")
    change_capability = VERIFY_POINT


@admin.register(RestrictedZone)
class RestrictedZoneAdmin(ScopedAdmin):
    list_display = ("name", "commune", "disabled_access")
    raw_id_fields = ("commune",)
    change_capability = SET_PARKING_RULES


@admin.register(ParkingRules)
class ParkingRulesAdmin(admin.ModelAdmin):
    list_display = (
        "commune",
        "free_of_charge",
        "max_duration_minutes",
        "card_required",
    )
    raw_id_fields = ("commune",)

    # Public rules, listed for all staff; changed only by the commune's local admins.
    def has_change_permission(self, request, obj=None):
        allowed = obj is None or can(request.user, SET_PARKING_RULES, obj)
        return super().has_change_permission(request, obj) and allowed

    def has_delete_permission(self, request, obj=None):
        return obj is None or can(request.user, SET_PARKING_RULES, obj)


@admin.register(SiteExport)
class SiteExportAdmin(admin.ModelAdmin):
    """Export jobs, read-only: a job belongs to the user who asked (its query string
    says what they looked for), so staff see their own and superusers all."""

    list_display = (
        "__str__",
        "user",
        "status",
        "rows_total",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "dataset", "format")
    readonly_fields = [f.name for f in SiteExport._meta.fields]

    def get_queryset(self, request):
        jobs = super().get_queryset(request).select_related("user")
        return jobs if request.user.is_superuser else jobs.filter(user=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the purge deletes files and marks the rows expired
