import datetime

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from actors import audit_display, ratelimit, services
from actors.audit import record
from actors.capabilities import (
    READ_AUDIT_LOG,
    REVIEW_ACCESS_REQUESTS,
    capability_required,
)
from actors.forms import (
    AccessRequestForm,
    ApproveForm,
    CharterForm,
    LoginForm,
    NotificationForm,
    PasswordResetForm,
    RejectForm,
)
from actors.models import AccessRequest, AuditEvent, Grant, Organization, User
from lib import listing


@require_http_methods(["GET", "POST"])
def request_access(request: HttpRequest) -> HttpResponse:
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and ratelimit.ACCESS_REQUESTS.hit(request):
        message = _(
            "Too many requests from your connection; please try again in an hour."
        )
        return render(
            request,
            "actors/request_form.html",
            {"form": form, "limited": message},
            status=429,
        )
    if request.method == "POST" and form.is_valid():
        try:
            access_request = services.request_access(
                form.request_data(), request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(
                request, "actors/request_sent.html", {"email": access_request.email}
            )
    return render(request, "actors/request_form.html", {"form": form})


def verify_request(request: HttpRequest, token: str) -> HttpResponse:
    try:
        access_request = services.verify_access_request(token, request=request)
    except ValidationError as exc:
        return render(
            request,
            "actors/request_verified.html",
            {"error": exc.messages[0]},
            status=400,
        )
    return render(
        request, "actors/request_verified.html", {"access_request": access_request}
    )


@login_required
@capability_required(REVIEW_ACCESS_REQUESTS)
def request_queue(request: HttpRequest) -> HttpResponse:
    pending = (
        AccessRequest.objects.pending()
        .decidable_by(request.user)
        .select_related("territory", "organization")
    )
    pending = listing.search(
        request, pending, ("email", "first_name", "last_name", "territory__name",
                           "organization__name", "new_organization_name"),
    )  # fmt: skip
    pending, sort_links = listing.sort(request, pending, REQUEST_SORTS, "verified_at")
    page = listing.paginate(request, pending)
    context = {**listing.list_context(request, page, sort_links), "requests": page}
    return render(request, "actors/request_queue.html", context)


REQUEST_SORTS = {
    "email": ("email",),
    "territory": ("territory__name",),
    "role": ("role",),
    "verified_at": ("verified_at",),
}
GRANT_SORTS = {
    "user": ("user__email",),
    "role": ("role",),
    "territory": ("territory__name",),
}


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = get_object_or_404(
        AccessRequest.objects.decidable_by(request.user).select_related(
            "territory", "organization"
        ),
        pk=pk,
    )
    approve_form = ApproveForm(
        request.POST if request.POST.get("action") == "approve" else None
    )
    reject_form = RejectForm(
        request.POST if request.POST.get("action") == "reject" else None
    )
    if request.method == "POST":
        done = _decide(request, access_request, approve_form, reject_form)
        if done:
            return redirect("actors:request-queue")
    context = {
        "access_request": access_request,
        "approve_form": approve_form,
        "reject_form": reject_form,
    }
    return render(request, "actors/request_detail.html", context)


def _decide(request, access_request, approve_form, reject_form) -> bool:
    form = approve_form if request.POST.get("action") == "approve" else reject_form
    if not form.is_valid():
        return False
    try:
        if form is approve_form:
            data = approve_form.cleaned_data
            services.approve_access_request(
                access_request,
                acting_user=request.user,
                territory=data["territory"],
                role=data["role"] or None,
                request=request,
            )
            messages.success(
                request, _("Request approved; the requester has been told by e-mail.")
            )
        else:
            services.reject_access_request(
                access_request,
                acting_user=request.user,
                reason=reject_form.cleaned_data["reason"],
                request=request,
            )
            messages.success(
                request, _("Request rejected; the requester has been told by e-mail.")
            )
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(
            None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        )
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def charter(request: HttpRequest) -> HttpResponse:
    form = CharterForm(request.POST or None)
    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = "/"
    if request.method == "POST" and form.is_valid():
        services.accept_charter(request.user, request=request)
        return redirect(next_url)
    return render(request, "actors/charter.html", {"form": form, "next": next_url})


@login_required
def grants(request: HttpRequest) -> HttpResponse:
    managed = (
        Grant.objects.active()
        .managed_by(request.user)
        .select_related("user", "territory", "granted_by")
    )
    managed = listing.search(
        request, managed, ("user__email", "user__first_name", "user__last_name",
                           "territory__name", "territory__code"),
    )  # fmt: skip
    managed, sort_links = listing.sort(request, managed, GRANT_SORTS, "territory")
    page = listing.paginate(request, managed)
    context = {**listing.list_context(request, page, sort_links), "grants": page}
    return render(request, "actors/grants.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm (naming the user, role and territory); POST revokes."""
    grant = get_object_or_404(
        Grant.objects.active()
        .managed_by(request.user)
        .select_related("user", "territory"),
        pk=pk,
    )
    if request.method == "GET":
        return render(request, "actors/revoke_confirm.html", {"grant": grant})
    try:
        services.revoke_grant(grant, acting_user=request.user, request=request)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Access revoked; the user's sessions have ended."))
    return redirect("actors:grants")


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    """Organizations working in or above the user's territories, with members' roles."""
    members = User.objects.filter(is_active=True).prefetch_related(
        Prefetch("grants", queryset=Grant.objects.active().select_related("territory"))
    )
    organizations = (
        Organization.objects.visible_to(request.user)
        .select_related("territory")
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("name", "pk")
    )
    organizations = listing.search(
        request, organizations, ("name", "territory__name", "territory__code")
    )
    page = listing.paginate(request, organizations, 20)
    context = {**listing.list_context(request, page), "organizations": page}
    return render(request, "actors/directory.html", context)


class LoginView(auth_views.LoginView):
    template_name = "actors/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """First password (link of the approval mail) and reset (link of the reset mail):
    the token dies once the password changes, so a link works once."""

    template_name = "actors/password_set.html"
    success_url = "/accounts/login/"

    def form_valid(self, form):
        messages.success(self.request, _("Password saved; you can log in."))
        return super().form_valid(form)


def _limited(limit: ratelimit.RateLimit):
    """A view wrapper: 429 with a page saying so when a client posts too often."""

    def decorator(view):
        def wrapped(request, *args, **kwargs):
            if request.method == "POST" and limit.hit(request):
                message = _("Too many attempts from your connection; try again later.")
                return render(
                    request, "actors/limited.html", {"message": message}, status=429
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "actors/password_reset.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("actors:password-reset-sent")

    def form_valid(self, form):
        form.request = self.request
        return super().form_valid(form)


password_reset = _limited(ratelimit.PASSWORD_RESETS)(PasswordResetView.as_view())


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "actors/password_change.html"
    success_url = reverse_lazy("actors:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


password_change = login_required(
    _limited(ratelimit.PASSWORD_CHANGES)(PasswordChangeView.as_view())
)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The user's own account: organization, grants, language, password."""
    own_grants = (
        Grant.objects.active()
        .filter(user=request.user)
        .select_related("territory", "granted_by")
        .order_by("territory__path")
    )
    form = NotificationForm(
        request.POST if request.method == "POST" else None, instance=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        record("user.notifications_changed", actor=request.user, request=request,
               **{name: form.cleaned_data[name] for name in form.fields})  # fmt: skip
        messages.success(request, _("Your e-mail choices are saved."))
        return redirect("actors:profile")
    context = {"own_grants": own_grants, "notification_form": form}
    return render(request, "actors/profile.html", context)


AUDIT_PAGE_SIZE = 50


@login_required
@capability_required(READ_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log of the admin's territory, filterable by action, actor and date."""
    events = AuditEvent.objects.readable_by(request.user)
    actions = sorted(set(events.values_list("action", flat=True)))
    if request.GET.get("action") in actions:
        events = events.filter(action=request.GET["action"])
    if request.GET.get("actor"):
        events = events.filter(actor_email__icontains=request.GET["actor"].strip())
    if request.GET.get("since"):
        try:
            events = events.filter(
                at__date__gte=datetime.date.fromisoformat(request.GET["since"])
            )
        except ValueError:
            messages.error(request, _("Use the format YYYY-MM-DD for the date."))
    page = listing.paginate(request, events.order_by("-at"), AUDIT_PAGE_SIZE)
    context = {
        **listing.list_context(request, page),
        "entries": audit_display.readable(list(page.object_list)),
        "actions": sorted(
            ((a, audit_display.action_label(a)) for a in actions), key=lambda a: a[1]
        ),
    }
    return render(request, "actors/audit_log.html", context)
