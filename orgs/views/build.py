"""Building the organization in the web UI (platform admins): create and edit MEs and EMCs (with
node MEs and shares), merge MEs, register and certify partners, create scenarios, categories,
solutions and their versions. Each page parses a form and calls one service
(which validates, writes and records the audit row); a refusal comes back on its fields and
nothing is written."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from config.uploads import upload_refusal
from config.web import PAGE_SIZE, rule_required
from orgs import services
from orgs.build_forms import (
    CategoryCreateForm,
    CertifyForm,
    EMCCreateForm,
    EMCEditForm,
    EMCSplitForm,
    MECreateForm,
    MEEditForm,
    MEImportForm,
    MEMergeForm,
    PartnerCreateForm,
    ScenarioCreateForm,
    SolutionCreateForm,
    SolutionVersionForm,
)
from orgs.forms import NodeFormSet, add_service_errors
from orgs.models import EMC, Category, Microenterprise, Partner, Scenario, Solution
from orgs.services.me_import import COLUMNS, ImportRefused
from orgs.views.emcs import _emc_or_404
from orgs.views.mes import _me_or_404

NODES_PREFIX = "nodes"


@rule_required("orgs.manage")
def me_create(request):
    form = MECreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            me = services.me_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(code)s created.") % {"code": me.code})
            return redirect(me.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/build/me_form.html", {"form": form, "me": None}, status=status)


@rule_required("orgs.manage")
def me_edit(request, code):
    me = _me_or_404(code)
    if me.status not in Microenterprise.LIVE_STATUSES:
        raise PermissionDenied
    initial = {"name": me.name, "kind": me.kind.code, "leader": me.leader.get_username() if me.leader else ""}
    form = MEEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.me_update(me=me, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(code)s updated.") % {"code": me.code})
            return redirect(me.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/build/me_form.html", {"form": form, "me": me}, status=status)


def _node_rows(formset) -> list[dict] | None:
    """The node rows filled in, or None when none is (the service then seats the lead ME alone)."""
    rows = [f.cleaned_data for f in formset if f.cleaned_data.get("me")]
    if not rows:
        return None
    return [
        {
            "me": r["me"],
            "share_weight": r["share_weight"] if r["share_weight"] is not None else 0,
            "obligations": r["obligations"],
        }
        for r in rows
    ]


@rule_required("orgs.manage")
def emc_create(request):
    form = EMCCreateForm(request.POST or None)
    formset = NodeFormSet(request.POST or None, prefix=NODES_PREFIX)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            data = {k: v for k, v in form.cleaned_data.items() if k != "nodes"}
            emc = services.emc_create(actor=request.user, nodes=_node_rows(formset), **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(code)s created.") % {"code": emc.code})
            return redirect(emc.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request, "orgs/build/emc_form.html", {"form": form, "formset": formset, "emc": None}, status=status
    )


@rule_required("orgs.manage")
def emc_edit(request, code):
    emc = _emc_or_404(code)
    if emc.status != EMC.Status.ACTIVE:
        raise PermissionDenied
    initial = {
        "name": emc.name,
        "lead_me": emc.lead_me.code,
        "scenarios": [s.code for s in emc.scenarios.all()],
    }
    form = EMCEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.emc_update(emc=emc, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(code)s updated.") % {"code": emc.code})
            return redirect(emc.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/build/emc_form.html", {"form": form, "emc": emc}, status=status)


@rule_required("orgs.view")
def catalog(request):
    """Scenarios and categories, each paged on its own."""
    scenarios = Paginator(Scenario.objects.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    categories = Paginator(Category.objects.select_related("industry").order_by("code"), PAGE_SIZE).get_page(
        request.GET.get("cpage")
    )
    solutions = Paginator(
        Solution.objects.select_related("scenario")
        .annotate(version_count=Count("versions"))
        .order_by("code"),
        PAGE_SIZE,
    ).get_page(request.GET.get("spage"))
    return render(
        request,
        "orgs/build/catalog.html",
        {
            "scenarios": scenarios,
            "categories": categories,
            "solutions": solutions,
            "can_manage": request.user.has_perm("orgs.manage"),
        },
    )


def _create_page(request, *, form_class, service, template: str, done: str, extra: dict | None = None):
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = service(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done % {"code": created.code})
            return redirect(_safe_next(request, request.POST.get("next")) or "orgs:catalog")
    status = 400 if request.method == "POST" else 200
    nxt = _safe_next(request, request.POST.get("next") or request.GET.get("next")) or ""
    return render(request, template, {"form": form, "next": nxt, **(extra or {})}, status=status)


def _safe_next(request, url: str | None) -> str | None:
    """A page of this site to return to (another host's address is ignored)."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return None


@rule_required("orgs.manage")
def scenario_create(request):
    return _create_page(
        request,
        form_class=ScenarioCreateForm,
        service=services.scenario_create,
        template="orgs/build/scenario_form.html",
        done=_("Scenario %(code)s created."),
    )


@rule_required("orgs.manage")
def category_create(request):
    return _create_page(
        request,
        form_class=CategoryCreateForm,
        service=services.category_create,
        template="orgs/build/category_form.html",
        done=_("Category %(code)s created."),
    )


# --- irreversible: an ME merge -------------------------------------------------------------


@rule_required("orgs.manage")
def me_merge(request, code):
    """Merge this ME with others into a new ME (asks a reason and a confirmation)."""
    me = _me_or_404(code)
    if me.status not in Microenterprise.LIVE_STATUSES:
        raise PermissionDenied
    form = MEMergeForm(request.POST or None, initial={"kind": me.kind.code})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        others = data.pop("others")
        data.pop("confirm")
        try:
            merged = services.me_merge(parents=[me, *others], actor=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"parents": "others"})
        else:
            messages.success(
                request,
                _("%(codes)s merged into %(code)s.")
                % {"codes": ", ".join([me.code, *(o.code for o in others)]), "code": merged.code},
            )
            return redirect(merged.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "me": me,
        "page_title": _("Merge %(code)s") % {"code": me.code},
        "form_testid": "merge-form",
    }
    return render(request, "orgs/build/me_merge.html", context, status=status)


# --- partners: registered by an admin, certified ---------------------------------------------


@rule_required("orgs.manage_partners")
def partner_create(request):
    form = PartnerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(code)s created.") % {"code": partner.code})
            return redirect(partner.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "page_title": _("New partner"), "form_testid": "partner-form"}
    return render(request, "orgs/build/partner_form.html", context, status=status)


@rule_required("orgs.manage_partners")
def partner_certify(request, code):
    partner = get_object_or_404(Partner, code=code)
    form = CertifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_certify(partner=partner, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(partner)s certified.") % {"partner": partner.name})
            return redirect(partner.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "partner": partner,
        "page_title": _("Certify %(partner)s") % {"partner": partner.name},
        "form_testid": "certify-form",
    }
    return render(request, "orgs/build/certify_form.html", context, status=status)


# --- solutions and their versions ----------------------------------------------------------


@rule_required("orgs.manage")
def solution_create(request):
    return _create_page(
        request,
        form_class=SolutionCreateForm,
        service=services.solution_create,
        template="orgs/build/solution_form.html",
        done=_("Solution %(code)s created."),
        extra={"page_title": _("New solution"), "form_testid": "solution-form"},
    )


@rule_required("orgs.manage")
def solution_version_add(request, code):
    solution = get_object_or_404(Solution, code=code)
    form = SolutionVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.solution_version_add(
                solution=solution, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Version %(n)s of %(code)s recorded.") % {"n": version.number, "code": solution.code},
            )
            return redirect("orgs:catalog")
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "solution": solution,
        "page_title": _("New version of %(name)s") % {"name": solution.name},
        "form_testid": "version-form",
    }
    return render(request, "orgs/build/version_form.html", context, status=status)


# --- irreversible: an EMC split --------------------------------------------------------------


@rule_required("orgs.manage")
def emc_split(request, code):
    """Split this EMC into new EMCs (asks a reason and a confirmation)."""
    emc = _emc_or_404(code)
    if emc.status != EMC.Status.ACTIVE:
        raise PermissionDenied
    form = EMCSplitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            children = services.emc_split(
                emc=emc,
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
                % {"code": emc.code, "into": ", ".join(c.code for c in children)},
            )
            return redirect(emc.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "emc": emc,
        "page_title": _("Split %(code)s") % {"code": emc.code},
        "form_testid": "split-form",
    }
    return render(request, "orgs/build/emc_split.html", context, status=status)


# --- onboarding at scale: MEs with members from a CSV --------------------------------------


@rule_required("orgs.manage")
def me_import(request):
    """Upload MEs with their members and weights; the file is taken whole or not at all."""
    form = MEImportForm(request.POST or None, request.FILES or None)
    line_errors: dict = {}
    status = 200
    if request.method == "POST":
        status = 400
        refused = upload_refusal(request)  # skipped while it streamed in (config.uploads)
        if refused:
            form = MEImportForm(request.POST)
            form.is_valid()
            form.errors["file"] = form.error_class([refused])
            status = 413
        elif form.is_valid():
            try:
                created = services.mes_import_csv(
                    actor=request.user, text=form.cleaned_data["file"], reason=form.cleaned_data["reason"]
                )
            except ImportRefused as exc:
                line_errors = exc.line_errors
            else:
                messages.success(request, _("%(n)s microenterprises imported.") % {"n": len(created)})
                return redirect("orgs:me-list")
    context = {
        "form": form,
        "line_errors": sorted(line_errors.items()),
        "columns": ",".join(COLUMNS),
        "page_title": _("Import microenterprises"),
        "form_testid": "me-import-form",
    }
    return render(request, "orgs/build/me_import.html", context, status=status)
