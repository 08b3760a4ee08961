"""Microenterprise pages: list, detail, members and weights, split, activate/dissolve."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.web import paginate, rule_required
from orgs import selectors, services
from orgs.filters import MEFilter
from orgs.forms import MEActionForm, MemberFormSet, MembersMetaForm, MESplitForm, add_service_errors
from orgs.models import Microenterprise


@rule_required("orgs.view")
def me_list(request):
    filterset = MEFilter(request.GET, queryset=selectors.me_list())
    page, query = paginate(request, filterset.qs)
    return render(request, "orgs/me_list.html", {"filter": filterset, "page": page, "query": query})


def _me_or_404(code: str) -> Microenterprise:
    try:
        return selectors.me_detail(code=code)
    except Microenterprise.DoesNotExist:
        raise Http404 from None


def _detail_context(request, me, **extra) -> dict:
    memberships = list(me.memberships.all())
    return {
        "me": me,
        "open_members": [m for m in memberships if m.left_on is None],
        "past_members": [m for m in memberships if m.left_on is not None],
        "lineage": selectors.me_lineage(me=me),
        "seats": selectors.me_emc_seats(me=me),
        "can_manage": request.user.has_perm("orgs.manage", me),
        "can_manage_members": request.user.has_perm("orgs.manage_me_members", me),
        "audit": selectors.audit_of(target=me) if request.user.has_perm("orgs.view_audit") else None,
        **extra,
    }


@rule_required("orgs.view")
def me_detail(request, code):
    me = _me_or_404(code)
    return render(request, "orgs/me_detail.html", _detail_context(request, me, action_form=MEActionForm()))


@rule_required("orgs.view")
@require_POST
def me_action(request, code):
    """Activate or dissolve, with a reason and a confirmation."""
    me = _me_or_404(code)
    if not request.user.has_perm("orgs.manage", me):
        raise PermissionDenied
    form = MEActionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "activate":
                services.me_activate(me=me, actor=request.user, reason=data["reason"])
            else:
                services.me_dissolve(me=me, actor=request.user, reason=data["reason"], on=data["on"])
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"status": "action"})
        else:
            messages.success(request, _("%(code)s updated.") % {"code": me.code})
            return redirect(me.get_absolute_url())
    return render(request, "orgs/me_detail.html", _detail_context(request, me, action_form=form), status=400)


@rule_required("orgs.view")
def me_members(request, code):
    """Edit the whole set of members and weights (the ME's leader or a platform admin)."""
    me = _me_or_404(code)
    if not request.user.has_perm("orgs.manage_me_members", me):
        raise PermissionDenied
    initial = [
        {"user": m.user.get_username(), "weight": m.weight} for m in me.memberships.all() if m.left_on is None
    ]
    if request.method == "POST":
        formset = MemberFormSet(request.POST, initial=initial)
        meta = MembersMetaForm(request.POST)
        if formset.is_valid() and meta.is_valid():
            rows = [f.cleaned_data for f in formset if f.cleaned_data.get("user")]
            try:
                services.me_members_set(
                    me=me,
                    actor=request.user,
                    members=[{"user": r["user"], "weight": r["weight"]} for r in rows],
                    on=meta.cleaned_data["on"],
                    reason=meta.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(meta, exc)
            else:
                messages.success(request, _("Members of %(code)s saved.") % {"code": me.code})
                return redirect(me.get_absolute_url())
        status = 400
    else:
        formset, meta, status = MemberFormSet(initial=initial), MembersMetaForm(), 200
    return render(
        request, "orgs/me_members.html", {"me": me, "formset": formset, "meta": meta}, status=status
    )


@rule_required("orgs.manage")
def me_split(request, code):
    me = _me_or_404(code)
    members = [m.user for m in me.memberships.all() if m.left_on is None]
    form = MESplitForm(request.POST or None, me=me, members=members)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                children = services.me_split(
                    me=me,
                    actor=request.user,
                    children=form.child_specs(),
                    reason=form.cleaned_data["reason"],
                    on=form.cleaned_data["on"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(code)s split into %(into)s.")
                    % {"code": me.code, "into": ", ".join(c.code for c in children)},
                )
                return redirect(me.get_absolute_url())
    return render(request, "orgs/me_split.html", {"me": me, "form": form}, status=status)
