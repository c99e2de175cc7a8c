"""Admin for interventions, through the same scope as every exit (like sites/admin.py).

Interventions are read-only here: they change through the forms and API (history,
stale-edit checks, capabilities). Funding lines are not shown: the admin has no
per-object reading rule for them.
"""

from django.contrib import admin

from interventions.models import Intervention, InterventionReport


class ReportInline(admin.TabularInline):
    model = InterventionReport
    extra = 0
    can_delete = False
    fields = ("reported_on", "people", "households", "women", "minors")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Intervention)
class InterventionAdmin(admin.ModelAdmin):
    list_display = ("title", "lead_operator", "territory", "status", "started_on")
    list_filter = ("status", "location_kind")
    search_fields = (
        "title",
        "lead_operator__name",
        "territory__name",
        "territory__code",
    )
    list_select_related = ("lead_operator", "territory")
    raw_id_fields = ("lead_operator", "territory", "created_by", "updated_by")
    filter_horizontal = ("partners", "pilots")
    inlines = [ReportInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
