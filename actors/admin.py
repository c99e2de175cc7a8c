from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from actors.models import AccessRequest, AuditEvent, Grant, Organization, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = (
        "email",
        "first_name",
        "last_name",
        "organization",
        "is_active",
        "last_login",
    )
    list_filter = ("is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identity"), {"fields": ("first_name", "last_name", "organization")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (
            _("Dates"),
            {
                "fields": (
                    "last_login",
                    "date_joined",
                    "charter_version",
                    "charter_accepted_at",
                )
            },
        ),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "territory")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("territory",)


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    """Read-only here: grants are created and revoked through the services (audited)."""

    list_display = (
        "user",
        "role",
        "territory",
        "granted_by",
        "granted_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("role", "territory__level")
    search_fields = ("user__email", "territory__name", "territory__code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ("email", "role", "territory", "status", "created_at", "decided_by")
    list_filter = ("status", "role")
    search_fields = ("email",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only log, readable and filterable by administrators."""

    list_display = (
        "at",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "ip_address",
    )
    list_filter = ("action", "target_type", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_email", "action", "target_id")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
