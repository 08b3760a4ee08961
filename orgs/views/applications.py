"""Phase-in from an application: the public application form (it makes the applicant's own
partner login), and the admins' queue where each application is admitted to probation or
rejected with a reason (the partner lifecycle, orgs.services.partner_act)."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.web import paginate, rule_required
from orgs import lifecycle, services
from orgs.build_forms import ApplicationDecisionForm, PartnerApplicationForm
from orgs.forms import add_service_errors
from orgs.models import Partner

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def partner_apply(request):
    """Anyone may apply; a logged-in user is sent to the dashboard."""
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    form = PartnerApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner, user = services.partner_apply(**form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            messages.success(
                request,
                _("Thank you: the application of %(name)s is received. You can follow it here.")
                % {"name": partner.name},
            )
            return redirect("portal:dashboard")
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/apply.html", {"form": form}, status=status)


def _queue():
    return (
        Partner.objects.filter(state=Partner.State.APPLIED)
        .select_related("tier")
        .prefetch_related("roles", "industries")
        .order_by("applied_on", "pk")
    )


DECISIONS = (("admit", lifecycle.ACTION_LABELS["admit"]), ("reject", lifecycle.ACTION_LABELS["reject"]))


def _decision_form(partner: Partner, action: str, data=None) -> ApplicationDecisionForm:
    # one form per application and decision on the page: ids of their own
    return ApplicationDecisionForm(data, auto_id=f"id_{partner.code}_{action}_%s", initial={"action": action})


def _queue_page(request, *, bound: tuple | None = None, status: int = 200):
    """The waiting applications, each with an admit and a reject form (`bound`: the one
    just refused, (partner id, action, form), shown with its errors)."""
    page, query = paginate(request, _queue())
    rows = []
    for p in page:
        forms = []
        for action, label in DECISIONS:
            form = (
                bound[2] if bound and bound[0] == p.pk and bound[1] == action else _decision_form(p, action)
            )
            forms.append({"action": action, "label": label, "form": form})
        rows.append({"partner": p, "forms": forms})
    return render(
        request, "orgs/application_queue.html", {"page": page, "query": query, "rows": rows}, status=status
    )


@rule_required("orgs.manage_partners")
def application_queue(request):
    return _queue_page(request)


@rule_required("orgs.manage_partners")
@require_POST
def application_decide(request, code):
    partner = get_object_or_404(Partner, code=code)
    form = _decision_form(partner, request.POST.get("action", ""), request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_act(
                partner=partner, action=data["action"], actor=request.user, reason=data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"state": "action", "to_state": "action"})
        else:
            messages.success(
                request,
                _("%(partner)s: %(action)s done.")
                % {"partner": partner.name, "action": lifecycle.ACTION_LABELS[data["action"]]},
            )
            return redirect("orgs:application-queue")
    return _queue_page(request, bound=(partner.pk, request.POST.get("action", ""), form), status=400)
