"""API shapes of interventions. Validation stays in the models (services call
`full_clean()`); related choices are narrowed to what the reader may see."""

from rest_framework import serializers

from actors.capabilities import SEE_FUNDING, can
from actors.models import Organization
from config.api import JsonTypes
from interventions.models import (
    REPORT_COUNTS,
    Funding,
    Intervention,
    InterventionReport,
    Theme,
)
from sites.models import Site


class ReportSerializer(JsonTypes, serializers.ModelSerializer):
    class Meta:
        model = InterventionReport
        fields = ("id", "reported_on", *REPORT_COUNTS, "created_at")
        read_only_fields = ("created_at",)


class FundingSerializer(JsonTypes, serializers.ModelSerializer):
    class Meta:
        model = Funding
        fields = ("id", "year", "source_kind", "amount_planned", "amount_spent")


class InterventionSerializer(JsonTypes, serializers.ModelSerializer):
    """`funding` appears only for readers allowed to see it (lead operator, local
    admins of the territory, national users)."""

    themes = serializers.ListField(
        child=serializers.ChoiceField(choices=Theme.choices), allow_empty=False
    )
    territory_code = serializers.CharField(source="territory.code", read_only=True)
    territory_name = serializers.CharField(source="territory.name", read_only=True)
    lead_operator_name = serializers.CharField(
        source="lead_operator.name", read_only=True
    )
    version = serializers.IntegerField(required=False)
    latest_report = ReportSerializer(read_only=True, allow_null=True)
    funding = FundingSerializer(
        many=True,
        read_only=True,
        required=False,
        help_text="Only for the lead operator, local admins and national users.",
    )

    class Meta:
        model = Intervention
        fields = (
            "id", "title", "themes", "status", "lead_operator", "lead_operator_name",
            "partners", "pilots", "territory", "territory_code", "territory_name",
            "location_kind", "sites", "location_text", "started_on", "ended_on", "goals",
            "version", "created_at", "updated_at", "latest_report", "funding",
        )  # fmt: skip
        read_only_fields = ("created_at", "updated_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request else None
        organizations = Organization.objects.visible_to(user)
        self.fields["lead_operator"].queryset = organizations
        self.fields["partners"].child_relation.queryset = organizations
        self.fields["pilots"].child_relation.queryset = organizations
        self.fields["sites"].child_relation.queryset = Site.objects.visible_to(user)
        self._user = user

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not can(self._user, SEE_FUNDING, instance):
            data.pop("funding", None)
        return data
