"""Building the organization in the web UI (platform admins): create and edit MEs and EMCs (with
node MEs and shares), scenarios and categories. Each page parses a form and calls one service
(which validates, writes and records the audit row); a refusal comes back on its fields and
nothing is written."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from config.web import PAGE_SIZE, rule_required
from orgs import services
from orgs.build_forms import (
    CategoryCreateForm,
    EMCCreateForm,
    EMCEditForm,
    MECreateForm,
    MEEditForm,
    ScenarioCreateForm,
)
from orgs.forms import NodeFormSet, add_service_errors
from orgs.models import EMC, Category, Microenterprise, Scenario
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
    return render(
        request,
        "orgs/build/catalog.html",
        {
            "scenarios": scenarios,
            "categories": categories,
            "can_manage": request.user.has_perm("orgs.manage"),
        },
    )


def _create_page(request, *, form_class, service, template: str, done: str):
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
    return render(request, template, {"form": form, "next": nxt}, status=status)


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
