"""Follow digests: at most one mail a day per follower, one a week per local admin.

A follower gets the notes, reports and status changes of the sites and interventions
they follow, and only those they may still read at sending time (scope and note
visibility are checked again, never remembered from when they followed). Local admins
get a weekly summary of what changed in their territory. `DigestSent` records each
mail and its period: a second run the same day (or week) sends nothing.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.mail import send_to_users
from actors.models import User
from actors.roles import Role
from actors.scope import scope_of
from interventions.models import (
    DigestKind,
    DigestSent,
    Follow,
    Intervention,
    InterventionNote,
    InterventionRevision,
)
from sites.models import Site, SiteNote, SiteRevision

TOKEN_SALT = "interventions.unsubscribe"  # noqa: S105 - a signing salt, not a secret
TOKEN_MAX_AGE = 90 * 24 * 3600  # an old digest's link still works for three months
EXCERPT = 300
WEEKLY_ITEMS = 50
KIND_LABELS = {
    "note": _("note"),
    "report": _("indicators reported"),
    "status": _("status changed"),
    "created": _("created"),
    "declared": _("declared"),
}


@dataclass
class Item:
    kind: str
    title: str
    url: str
    at: datetime.datetime
    text: str = ""

    @property
    def label(self):
        return KIND_LABELS.get(self.kind, self.kind)


def token_for(user) -> str:
    return signing.dumps(user.pk, salt=TOKEN_SALT)


def user_from_token(token: str) -> User | None:
    try:
        pk = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=pk).first()


def _url(kind: str, pk: int) -> str:
    return f"{settings.SITE_URL}/{kind}/{pk}/"


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def followed_news(user, since, until) -> list[Item]:
    """What happened to the objects the user follows and may still read."""
    follows = Follow.objects.filter(user=user)
    sites = Site.objects.visible_to(user).filter(pk__in=follows.values("site_id"))
    interventions = Intervention.objects.visible_to(user).filter(
        pk__in=follows.values("intervention_id")
    )
    window = {"gt": since, "lte": until}
    items = _site_news(user, sites, window) + _intervention_news(
        user, interventions, window
    )
    return sorted(items, key=lambda item: item.at)


def _in(field: str, window: dict) -> dict:
    return {f"{field}__{op}": value for op, value in window.items()}


def _site_news(user, sites, window) -> list[Item]:
    notes = (
        SiteNote.objects.filter(site__in=sites, **_in("written_at", window))
        .readable_by(user)
        .select_related("site")
    )
    items = [
        Item(
            "note",
            str(n.site),
            _url("sites", n.site_id),
            n.written_at,
            _excerpt(n.text),
        )
        for n in notes
    ]
    revisions = SiteRevision.objects.filter(
        site__in=sites, action__in=("closed", "reopened"), **_in("at", window)
    ).select_related("site")
    items += [
        Item(
            "status",
            str(r.site),
            _url("sites", r.site_id),
            r.at,
            r.site.get_status_display(),
        )
        for r in revisions
    ]
    return items


def _intervention_news(user, interventions, window) -> list[Item]:
    notes = (
        InterventionNote.objects.filter(
            intervention__in=interventions, **_in("written_at", window)
        )
        .readable_by(user)
        .select_related("intervention")
    )
    items = [
        Item("note", str(n.intervention), _url("interventions", n.intervention_id),
             n.written_at, _excerpt(n.text))
        for n in notes
    ]  # fmt: skip
    revisions = InterventionRevision.objects.filter(
        intervention__in=interventions, **_in("at", window)
    ).select_related("intervention")
    for r in revisions:
        kind = (
            "report"
            if r.action == "reported"
            else "status"
            if "status" in r.changes
            else ""
        )
        if kind:
            url = _url("interventions", r.intervention_id)
            text = r.intervention.get_status_display() if kind == "status" else ""
            items.append(Item(kind, str(r.intervention), url, r.at, text))
    return items


def territory_news(user, since, until) -> list[Item]:
    """A local admin's week: interventions and sites created, reported or closed."""
    window = {"gt": since, "lte": until}
    interventions = Intervention.objects.editable_by(user, Role.LOCAL_ADMIN)
    revisions = InterventionRevision.objects.filter(
        intervention__in=interventions, **_in("at", window)
    ).select_related("intervention")
    items = []
    for r in revisions:
        kind = {"created": "created", "reported": "report"}.get(r.action) or (
            "status" if "status" in r.changes else ""
        )
        if kind:
            url = _url("interventions", r.intervention_id)
            items.append(Item(kind, str(r.intervention), url, r.at))
    sites = Site.objects.editable_by(user, Role.LOCAL_ADMIN)
    for r in SiteRevision.objects.filter(
        site__in=sites,
        action__in=("declared", "closed", "reopened"),
        **_in("at", window),
    ).select_related("site"):
        kind = "declared" if r.action == "declared" else "status"
        items.append(Item(kind, str(r.site), _url("sites", r.site_id), r.at))
    return sorted(items, key=lambda item: item.at)


# Who receives which digest: the profile's choice (actors.mail.TOPICS).
TOPIC = {
    DigestKind.DAILY: "notify_follow_digest",
    DigestKind.WEEKLY: "notify_weekly_digest",
}


def send_daily_digests(now: datetime.datetime) -> int:
    """One mail per follower with news since their last digest; at most one a day."""
    period = timezone.localdate(now)
    followers = User.objects.filter(
        is_active=True, follows__isnull=False, notify_follow_digest=True
    ).distinct()
    return sum(
        _send(user, DigestKind.DAILY, period, now, followed_news) for user in followers
    )


def send_weekly_digests(now: datetime.datetime) -> int:
    """Local admins: what changed in their territory, once per week (from Monday)."""
    today = timezone.localdate(now)
    period = today - datetime.timedelta(days=today.weekday())
    admins = User.objects.filter(
        is_active=True,
        grants__role__in=(Role.LOCAL_ADMIN,),
        grants__revoked_at=None,
        notify_weekly_digest=True,
    ).distinct()
    sent = 0
    for user in admins:
        if scope_of(user).write_paths(Role.LOCAL_ADMIN):
            sent += _send(user, DigestKind.WEEKLY, period, now, territory_news)
    return sent


def _since(user, kind: str, now) -> datetime.datetime:
    last = DigestSent.objects.filter(user=user, kind=kind).order_by("-sent_at").first()
    if last is not None:
        return last.sent_at
    days = 7 if kind == DigestKind.WEEKLY else 1
    return now - datetime.timedelta(days=days)


def _send(user, kind: str, period, now, news) -> int:
    if DigestSent.objects.filter(user=user, kind=kind, period=period).exists():
        return 0
    since = _since(user, kind, now)
    items = news(user, since, now)
    if not items:
        return 0
    try:
        with transaction.atomic():
            DigestSent.objects.create(
                user=user,
                kind=kind,
                period=period,
                since=since,
                items=len(items),
                sent_at=now,
            )
            context = {
                "items": items[:WEEKLY_ITEMS],
                "more": max(len(items) - WEEKLY_ITEMS, 0),
                "kind": kind,
                "unsubscribe": f"{settings.SITE_URL}/interventions/unsubscribe/{token_for(user)}/",
            }
            send_to_users(
                [user], "interventions/mail/digest", context, topic=TOPIC[kind]
            )
    except IntegrityError:  # a concurrent run sent it
        return 0
    return 1
