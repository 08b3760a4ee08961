"""Partner pages: the directory (filters, htmx refresh, CSV export), detail with the lifecycle
timeline, and the lifecycle / tier / proposal actions behind confirming forms."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.exports import csv_download
from config.uploads import upload_refusal
from config.web import paginate, rule_required
from orgs import lifecycle, selectors, services
from orgs.build_forms import ResourceUseImportForm
from orgs.filters import PartnerFilter
from orgs.forms import (
    PartnerTransitionForm,
    ProposalDecisionForm,
    ResourceUseEndForm,
    ResourceUseForm,
    TierChangeForm,
    add_service_errors,
)
from orgs.models import EMC, Partner, PartnerProposal, PartnerRole, PartnerTier, ResourceUse
from orgs.services._common import today as services_today
from orgs.services.resource_import import COLUMNS as RESOURCE_USE_COLUMNS
from orgs.services.resource_import import ResourceImportRefused, resource_uses_sample

# rows fetched per round trip when streaming the CSV export (10,000 partners → 5 chunks)
EXPORT_CHUNK = 2000


@rule_required("orgs.view")
def partner_list(request):
    filterset = PartnerFilter(request.GET, queryset=selectors.partner_list())
    page, query = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "query": query,
        "tiers": PartnerTier.objects.all(),
        "roles": PartnerRole.objects.all(),
        "emcs": EMC.objects.filter(status=EMC.Status.ACTIVE).values_list("code", "name"),
        "states": Partner.State.choices,
    }
    template = "orgs/partials/partner_table.html" if request.htmx else "orgs/partner_list.html"
    return render(request, template, context)


@rule_required("orgs.view")
def partner_export(request):
    """The filtered directory as CSV, streamed in chunks (constant memory at 10,000 partners)."""
    filterset = PartnerFilter(request.GET, queryset=selectors.partner_list())
    header = [
        "code",
        "name",
        "state",
        "state_since",
        "tier",
        "roles",
        "industries",
        "applied_on",
        "revenue_baseline_minor",
        "baseline_currency",
        "contact_name",
        "contact_email",
    ]

    def rows():
        yield header
        for p in filterset.qs.iterator(chunk_size=EXPORT_CHUNK):
            yield [
                p.code,
                p.name,
                p.state,
                p.state_since,
                p.tier.code,
                " ".join(r.code for r in p.roles.all()),
                " ".join(i.code for i in p.industries.all()),
                p.applied_on,
                p.revenue_baseline_minor,
                p.baseline_currency,
                p.contact_name,
                p.contact_email,
            ]

    return csv_download(rows(), filename="partners.csv", stream=True)


def _partner_or_404(code: str) -> Partner:
    try:
        return selectors.partner_detail(code=code)
    except Partner.DoesNotExist:
        raise Http404 from None


def _detail_context(
    request, partner, *, transition_form=None, tier_form=None, proposal_errors=None, resource_form=None
) -> dict:
    actions = lifecycle.allowed_actions(partner.state)
    return {
        "resource_uses": selectors.partner_resource_uses(partner=partner),
        "resource_form": resource_form or ResourceUseForm(initial={"started_on": services_today()}),
        "partner": partner,
        "timeline": selectors.partner_timeline(partner=partner),
        "participations": selectors.partner_participations(partner=partner),
        "proposals": partner.proposals.select_related("decided_by").order_by("-created_at"),
        "actions": [(a, lifecycle.action_labels()[a], Partner.State(t).label) for a, t in actions.items()],
        "can_manage": request.user.has_perm("orgs.manage_partners", partner),
        "transition_form": transition_form,
        "tier_form": tier_form or TierChangeForm(initial={"tier": partner.tier.code}),
        "proposal_errors": proposal_errors,
        "audit": selectors.audit_of(target=partner) if request.user.has_perm("orgs.view_audit") else None,
    }


@rule_required("orgs.view")
def partner_detail(request, code):
    partner = _partner_or_404(code)
    return render(request, "orgs/partner_detail.html", _detail_context(request, partner))


@rule_required("orgs.manage_partners")
@require_POST
def partner_transition(request, code):
    partner = _partner_or_404(code)
    form = PartnerTransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_act(
                partner=partner,
                action=data["action"],
                actor=request.user,
                reason=data["reason"],
                evidence=data["evidence"],
                effective_on=data["effective_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"state": "action"})
        else:
            messages.success(
                request,
                _("%(partner)s: %(action)s done.")
                % {"partner": partner.name, "action": lifecycle.ACTION_LABELS[data["action"]]},
            )
            return redirect(partner.get_absolute_url())
    partner = _partner_or_404(code)
    return render(
        request,
        "orgs/partner_detail.html",
        _detail_context(request, partner, transition_form=form),
        status=400,
    )


@rule_required("orgs.manage_partners")
@require_POST
def partner_tier(request, code):
    partner = _partner_or_404(code)
    form = TierChangeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_tier_change(
                partner=partner,
                tier=data["tier"],
                actor=request.user,
                reason=data["reason"],
                evidence=data["evidence"],
                effective_on=data["effective_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(partner)s is now %(tier)s.") % {"partner": partner.name, "tier": data["tier"].name},
            )
            return redirect(partner.get_absolute_url())
    return render(
        request, "orgs/partner_detail.html", _detail_context(request, partner, tier_form=form), status=400
    )


@rule_required("orgs.manage_partners")
@require_POST
def proposal_decide(request, pk):
    proposal = get_object_or_404(PartnerProposal.objects.select_related("partner"), pk=pk)
    if not request.user.has_perm("orgs.manage_partners", proposal.partner):
        raise PermissionDenied
    form = ProposalDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "accept":
                services.partner_proposal_accept(proposal=proposal, actor=request.user, reason=data["reason"])
            else:
                services.partner_proposal_dismiss(
                    proposal=proposal, actor=request.user, reason=data["reason"]
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            accepted = data["decision"] == "accept"
            messages.success(request, _("Proposal accepted.") if accepted else _("Proposal dismissed."))
            return redirect(proposal.partner.get_absolute_url())
    errors = [m for errs in form.errors.values() for m in errs]
    partner = _partner_or_404(proposal.partner.code)
    return render(
        request,
        "orgs/partner_detail.html",
        _detail_context(request, partner, proposal_errors={proposal.pk: errors}),
        status=400,
    )


@rule_required("orgs.manage_partners")
@require_POST
def partner_resource_use(request, code):
    """Record that the partner uses a shared platform resource from a day."""
    partner = _partner_or_404(code)
    form = ResourceUseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.resource_use_start(
                actor=request.user,
                partner=partner,
                resource=data["resource"],
                started_on=data["started_on"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(partner)s uses %(resource)s from %(day)s.")
                % {"partner": partner.name, "resource": data["resource"].name, "day": data["started_on"]},
            )
            return redirect(partner.get_absolute_url() + "#resources")
    partner = _partner_or_404(code)
    return render(
        request, "orgs/partner_detail.html", _detail_context(request, partner, resource_form=form), status=400
    )


@rule_required("orgs.manage_partners")
@require_POST
def partner_resource_use_end(request, code, pk):
    partner = _partner_or_404(code)
    use = get_object_or_404(ResourceUse, pk=pk, partner=partner)
    form = ResourceUseEndForm(request.POST)
    if form.is_valid():
        try:
            services.resource_use_end(actor=request.user, use=use, ended_on=form.cleaned_data["ended_on"])
        except ValidationError as exc:
            messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        else:
            messages.success(request, _("The use of %(resource)s ended.") % {"resource": use.resource.name})
    else:
        messages.error(request, _("Give the day the use ended."))
    return redirect(partner.get_absolute_url() + "#resources")


# --- resource uses from a CSV ----------------------------------------------------------------


@rule_required("orgs.manage_partners")
def resource_use_import(request):
    """Upload partners' resource uses; the file is taken whole or not at all."""
    form = ResourceUseImportForm(request.POST or None, request.FILES or None)
    line_errors: list = []
    status = 200
    if request.method == "POST":
        status = 400
        refused = upload_refusal(request)  # skipped while it streamed in (config.uploads)
        if refused:
            form = ResourceUseImportForm(request.POST)
            form.is_valid()
            form.errors["file"] = form.error_class([refused])
            status = 413
        elif form.is_valid():
            try:
                uses = services.resource_uses_import_csv(
                    actor=request.user, text=form.cleaned_data["file"], reason=form.cleaned_data["reason"]
                )
            except ResourceImportRefused as exc:
                line_errors = exc.as_lines()
            else:
                messages.success(request, _("%(n)s resource uses recorded.") % {"n": len(uses)})
                return redirect("orgs:partner-list")
    context = {
        "form": form,
        "line_errors": line_errors,
        "columns": ",".join(RESOURCE_USE_COLUMNS),
        "page_title": _("Import resource uses"),
        "form_testid": "resource-use-import-form",
    }
    return render(request, "orgs/build/resource_use_import.html", context, status=status)


@rule_required("orgs.manage_partners")
def resource_use_sample(request):
    response = HttpResponse(resource_uses_sample(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="resource_uses.csv"'
    return response
