"""The user's own account: their API token (made, shown once, revoked) and password (changed,
or reset by mail when forgotten); for admins, every user's token (listed, revoked with a reason)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from config.web import paginate, rule_required
from orgs import selectors, services


def _page(request, *, new_key: str | None = None, status: int = 200):
    token = Token.objects.filter(user=request.user).only("created").first()
    return render(request, "orgs/account.html", {"token": token, "new_key": new_key}, status=status)


@login_required
def account(request):
    return _page(request)


@login_required
@require_POST
def token_create(request):
    token = services.api_token_create(user=request.user, actor=request.user)
    # shown once, on this answer only: the page never shows the key again
    return _page(request, new_key=token.key)


@login_required
@require_POST
def token_revoke(request):
    if request.POST.get("confirm") != "on":
        messages.error(request, _("Tick the box to confirm."))
        return _page(request, status=400)
    if services.api_token_revoke(user=request.user, actor=request.user):
        messages.success(request, _("Your API token is revoked; requests with it are refused from now on."))
    return redirect("orgs:account")


def _token_list_page(request, *, error_for=None, errors=(), status: int = 200):
    q = (request.GET.get("q") or "").strip()
    page, query = paginate(request, selectors.api_tokens(q=q))
    context = {"page": page, "query": query, "q": q, "error_for": error_for, "errors": list(errors)}
    return render(request, "orgs/token_list.html", context, status=status)


@rule_required("orgs.manage_tokens")
def token_list(request):
    """Admins: every user's API token (who, since when), each revocable with a reason."""
    return _token_list_page(request)


@rule_required("orgs.manage_tokens")
@require_POST
def token_revoke_user(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    if request.POST.get("confirm") != "on":
        return _token_list_page(
            request, error_for=user.pk, errors=[_("Tick the box to confirm.")], status=400
        )
    try:
        revoked = services.api_token_revoke(
            user=user, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return _token_list_page(request, error_for=user.pk, errors=exc.messages, status=400)
    if revoked:
        messages.success(
            request,
            _("%(user)s's API token is revoked; requests with it are refused from now on.")
            % {"user": user.get_username()},
        )
    return redirect("orgs:token-list")


# --- passwords: Django's auth views, on our pages, each change audited ------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_form.html"
    success_url = reverse_lazy("orgs:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_change_record(user=self.request.user, actor=self.request.user, how="change")
        messages.success(self.request, _("Your password is changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_form.html"
    email_template_name = "registration/reset_email.txt"
    subject_template_name = "registration/reset_subject.txt"
    success_url = reverse_lazy("orgs:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_message.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_form.html"
    success_url = reverse_lazy("orgs:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_change_record(user=form.user, actor=form.user, how="reset")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_message.html"
