"""EMC pages: list, detail (nodes, partners, scenarios, solutions), nodes, partners joining/leaving, disband."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.web import paginate, rule_required
from orgs import selectors, services
from orgs.filters import EMCFilter
from orgs.forms import (
    EMCDisbandForm,
    EMCPartnerJoinForm,
    EMCPartnerLeaveForm,
    MembersMetaForm,
    NodeFormSet,
    add_service_errors,
)
from orgs.models import EMC, Partner


@rule_required("orgs.view")
def emc_list(request):
    filterset = EMCFilter(request.GET, queryset=selectors.emc_list())
    page, query = paginate(request, filterset.qs)
    return render(request, "orgs/emc_list.html", {"filter": filterset, "page": page, "query": query})


def _emc_or_404(code: str) -> EMC:
    try:
        return selectors.emc_detail(code=code)
    except EMC.DoesNotExist:
        raise Http404 from None


def _detail_context(request, emc, **forms) -> dict:
    participations = list(selectors.emc_participations(emc=emc))
    active = [
        p for p in participations if p.ended_on is None and p.partner.state in Partner.CREDITABLE_STATES
    ]
    nodes = list(selectors.emc_nodes(emc=emc))
    return {
        "emc": emc,
        "open_nodes": [n for n in nodes if n.left_on is None],
        "past_nodes": [n for n in nodes if n.left_on is not None],
        "active_partners": active,
        "other_participations": [p for p in participations if p not in active],
        "solutions": selectors.emc_solutions(emc=emc),
        "can_manage": request.user.has_perm("orgs.manage", emc) and emc.status == EMC.Status.ACTIVE,
        "audit": selectors.audit_of(target=emc) if request.user.has_perm("orgs.view_audit") else None,
        "join_form": forms.get("join_form") or EMCPartnerJoinForm(),
        "disband_form": forms.get("disband_form") or EMCDisbandForm(),
        "leave_errors": forms.get("leave_errors"),
    }


@rule_required("orgs.view")
def emc_detail(request, code):
    return render(request, "orgs/emc_detail.html", _detail_context(request, _emc_or_404(code)))


@rule_required("orgs.manage")
@require_POST
def emc_partner_join(request, code):
    emc = _emc_or_404(code)
    form = EMCPartnerJoinForm(request.POST)
    if form.is_valid():
        try:
            services.emc_partner_join(emc=emc, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"status": "partner"})
        else:
            messages.success(
                request,
                _("%(partner)s joined %(emc)s.") % {"partner": form.cleaned_data["partner"], "emc": emc.code},
            )
            return redirect(emc.get_absolute_url())
    return render(request, "orgs/emc_detail.html", _detail_context(request, emc, join_form=form), status=400)


@rule_required("orgs.manage")
@require_POST
def emc_partner_leave(request, code):
    emc = _emc_or_404(code)
    form = EMCPartnerLeaveForm(request.POST)
    if form.is_valid():
        try:
            services.emc_partner_leave(emc=emc, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(partner)s left %(emc)s.") % {"partner": form.cleaned_data["partner"], "emc": emc.code},
            )
            return redirect(emc.get_absolute_url())
    errors = [m for errs in form.errors.values() for m in errs]
    return render(
        request, "orgs/emc_detail.html", _detail_context(request, emc, leave_errors=errors), status=400
    )


@rule_required("orgs.manage")
@require_POST
def emc_disband(request, code):
    emc = _emc_or_404(code)
    form = EMCDisbandForm(request.POST)
    if form.is_valid():
        try:
            services.emc_disband(
                emc=emc, actor=request.user, **{k: form.cleaned_data[k] for k in ("reason", "on")}
            )
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"status": "confirm"})
        else:
            messages.success(request, _("%(emc)s disbanded.") % {"emc": emc.code})
            return redirect(emc.get_absolute_url())
    return render(
        request, "orgs/emc_detail.html", _detail_context(request, emc, disband_form=form), status=400
    )


@rule_required("orgs.manage")
def emc_nodes(request, code):
    """Edit the whole set of node MEs, obligations and share weights."""
    emc = _emc_or_404(code)
    if emc.status != EMC.Status.ACTIVE:
        raise PermissionDenied
    initial = [
        {"me": n.me.code, "share_weight": n.share_weight, "obligations": n.obligations}
        for n in selectors.emc_nodes(emc=emc)
        if n.left_on is None
    ]
    status = 200
    if request.method == "POST":
        status = 400
        formset = NodeFormSet(request.POST, initial=initial)
        meta = MembersMetaForm(request.POST)
        if formset.is_valid() and meta.is_valid():
            rows = [f.cleaned_data for f in formset if f.cleaned_data.get("me")]
            try:
                services.emc_nodes_set(
                    emc=emc,
                    actor=request.user,
                    on=meta.cleaned_data["on"],
                    reason=meta.cleaned_data["reason"],
                    nodes=[
                        {
                            "me": r["me"],
                            "share_weight": r["share_weight"] if r["share_weight"] is not None else 0,
                            "obligations": r["obligations"],
                        }
                        for r in rows
                    ],
                )
            except ValidationError as exc:
                add_service_errors(meta, exc, field_map={"nodes": "members"})
            else:
                messages.success(request, _("Nodes of %(emc)s saved.") % {"emc": emc.code})
                return redirect(emc.get_absolute_url())
    else:
        formset, meta = NodeFormSet(initial=initial), MembersMetaForm()
    return render(
        request, "orgs/emc_nodes.html", {"emc": emc, "formset": formset, "meta": meta}, status=status
    )
