"""The site page's interventions and presences, given by this app so that `sites`
never imports `interventions` (the site template loads these tags)."""

from django import template
from django.utils import timezone

from actors.capabilities import CLOSE_SITE, DECLARE_PRESENCE, FOLLOW, can
from interventions.forms import PresenceForm
from interventions.models import Follow

register = template.Library()


@register.inclusion_tag("interventions/site_activity.html", takes_context=True)
def site_activity(context, site) -> dict:
    """Interventions on the site the user may see, who works there, follow buttons."""
    user = context["request"].user
    presences = list(site.presences.current().select_related("organization"))
    own = getattr(user, "organization_id", None)
    is_admin = can(user, CLOSE_SITE, site)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "site": site,
        "interventions": site.interventions.visible_to(user)
        .select_related("lead_operator")
        .order_by("-started_on"),
        "presences": [(p, is_admin or p.organization_id == own) for p in presences],
        "can_declare": can(user, DECLARE_PRESENCE, site)
        and not any(p.organization_id == own for p in presences),
        "can_follow": can(user, FOLLOW, site),
        "following": Follow.objects.filter(user=user, site=site).exists(),
        "presence_form": PresenceForm(initial={"started_on": timezone.localdate()}),
        "today": timezone.localdate(),
    }
