"""The log forms: user value (payments), refunds and user signals.

Each form carries a one-time token that becomes the idempotency key of what it posts: a second
submit of the same form (double click, back and submit again) lands on what the first posted.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from config.web import rule_required
from ledger import permissions, selectors, services, ui_selectors
from ledger.forms import PurposeIndicatorForm, RefundForm, UserSignalForm, ValueEventForm, add_service_errors
from ledger.models import PurposeIndicator, Source, UserSignal, ValueEvent
from ledger.money import from_minor
from ledger.views._common import event_url
from orgs import selectors as org_selectors
from orgs.models import EMC, Scenario, Solution

ALREADY_POSTED = gettext_lazy(
    "This form was already submitted: here is what it posted. Nothing was posted twice. "
    "To log another one, open a new form."
)


def _raw(form_or_data, name):
    data = form_or_data.data if hasattr(form_or_data, "data") else form_or_data
    return (data.get(name) or "").strip()


def _state(data, mes) -> dict:
    """The ME, EMC, scenario and day a (possibly half-filled) form refers to, for its choices."""
    by_code = {m.code: m for m in mes}
    me = by_code.get(_raw(data, "me")) or (mes[0] if mes else None)
    emc = EMC.objects.filter(code=_raw(data, "emc")).first() if _raw(data, "emc") else None
    scenario = (
        Scenario.objects.filter(code=_raw(data, "scenario")).first() if _raw(data, "scenario") else None
    )
    solution = (
        Solution.objects.filter(code=_raw(data, "solution")).first() if _raw(data, "solution") else None
    )
    on = timezone.localdate()
    moment = _raw(data, "occurred_at")
    if moment:
        try:
            parsed = parse_datetime(moment)
        except ValueError:
            parsed = None
        if parsed is not None:
            on = parsed.date()
    return {"me": me, "emc": emc, "scenario": scenario, "solution": solution, "on": on}


def _choices(data, mes) -> dict:
    state = _state(data, mes)
    choices = ui_selectors.log_form_choices(
        me=state["me"],
        emc=state["emc"],
        scenario=state["scenario"],
        on=state["on"],
        solution=state["solution"],
    )
    choices["me"] = state["me"]
    choices["on"] = state["on"]
    return choices


def _loggable(request) -> list:
    mes = list(ui_selectors.loggable_mes(user=request.user))
    if not mes:
        raise PermissionDenied(_("You lead no microenterprise, so there is nothing to log for."))
    return mes


def _unbound(form_class, request, mes, query):
    """An unbound form showing a GET `query` (the page's or htmx's), with the choices for what
    it refers to; the only EMC / scenario on offer is chosen, the currency is the contract's."""
    data = query.copy()
    choices = _choices(data, mes)
    if choices["emc"] is None and len(choices["emcs"]) == 1:
        data["emc"] = choices["emcs"][0].code
        choices = _choices(data, mes)
    if choices["scenario"] is None and len(choices["scenarios"]) == 1:
        data["scenario"] = choices["scenarios"][0].code
        choices = _choices(data, mes)
    initial = {k: data.get(k) for k in data if k not in ("csrfmiddlewaretoken", "token")}
    initial["partners"] = data.getlist("partners")
    if choices["me"] is not None:
        initial["me"] = choices["me"].code
    if choices["contract"] is not None:
        initial["currency"] = choices["contract"].currency
    form = form_class(initial=initial, mes=mes)
    form.offer(choices)
    return form, choices


# --- user value ----------------------------------------------------------------------------


@rule_required("ledger.log_value_any")
def log_value(request):
    """The fast "log user value" form."""
    mes = _loggable(request)
    if request.method == "POST":
        already = selectors.value_event_by_key(user=request.user, key=_raw(request.POST, "token"))
        if already is not None:
            messages.info(
                request,
                ALREADY_POSTED,
            )
            return redirect(event_url(already))
        form = ValueEventForm(request.POST, mes=mes)
        choices = _choices(request.POST, mes)
        form.offer(choices)
        if form.is_valid():  # the service asks whether this user may log for the ME
            try:
                event = services.value_event_log(
                    actor=request.user, source=Source.UI, **form.service_kwargs()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if getattr(event, "replayed", False):
                    messages.info(request, ALREADY_POSTED)
                else:
                    messages.success(
                        request,
                        _("Logged %(amount)s %(currency)s from %(user)s and posted its split.")
                        % {
                            "amount": from_minor(event.amount_minor, event.currency),
                            "currency": event.currency,
                            "user": event.user_ref,
                        },
                    )
                return redirect(event_url(event))
        return render(request, "ledger/log_value.html", {"form": form, "choices": choices}, status=400)
    form, choices = _unbound(ValueEventForm, request, mes, request.GET)
    return render(request, "ledger/log_value.html", {"form": form, "choices": choices})


@require_GET
@rule_required("ledger.log_value_any")
def log_value_fields(request):
    """htmx: the form's fields again, with choices for the ME, EMC, scenario and day chosen."""
    mes = _loggable(request)
    form, choices = _unbound(ValueEventForm, request, mes, request.GET)
    return render(request, "ledger/partials/log_value_fields.html", {"form": form, "choices": choices})


@require_GET
@rule_required("ledger.log_value_any")
def log_value_preview(request):
    """htmx: how the amount typed so far would be split under the contract in force."""
    mes = _loggable(request)
    state = _state(request.GET, mes)
    emc, me = state["emc"], state["me"]
    if emc is not None and not org_selectors.me_emcs(me=me, on=state["on"]).filter(pk=emc.pk).exists():
        # contract terms are shown only for an EMC the ME logged for sits in (as /api/contracts/)
        message = _("%(me)s does not sit in %(emc)s on that day; choose one of its EMCs.") % {
            "me": me.code,
            "emc": emc.code,
        }
        return render(request, "ledger/partials/split_preview.html", {"preview": {"message": message}})
    preview = ui_selectors.split_preview(
        emc=state["emc"],
        on=state["on"],
        amount=_raw(request.GET, "amount"),
        currency=_raw(request.GET, "currency").upper(),
        partner_codes=request.GET.getlist("partners"),
    )
    return render(request, "ledger/partials/split_preview.html", {"preview": preview})


# --- refunds -------------------------------------------------------------------------------


def _event_or_404(request, pk) -> ValueEvent:
    event = selectors.value_events_visible(user=request.user).filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


@rule_required("ledger.log_value_any")
def refund(request, pk):
    """Refund part or all of a payment: its shares are reversed in proportion."""
    original = _event_or_404(request, pk)
    if not request.user.has_perm("ledger.log_value", original.me):
        raise PermissionDenied(permissions.NOT_YOURS)  # the page itself: before any form is shown
    if original.kind != ValueEvent.Kind.PAYMENT:
        raise Http404
    refundable = selectors.refundable_minor(event=original)
    status = 200
    if request.method == "POST":
        already = selectors.value_event_by_key(user=request.user, key=_raw(request.POST, "token"))
        if already is not None:
            messages.info(
                request,
                ALREADY_POSTED,
            )
            return redirect(event_url(already))
        form = RefundForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = services.value_event_refund(
                    actor=request.user,
                    original=original,
                    amount=data["amount"],
                    occurred_at=data["occurred_at"],
                    note=data["note"],
                    idempotency_key=data["token"],
                    source=Source.UI,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if not getattr(event, "replayed", False):
                    messages.success(
                        request,
                        _("Refunded %(amount)s %(currency)s; the shares were reversed in proportion.")
                        % {
                            "amount": from_minor(event.amount_minor, event.currency),
                            "currency": event.currency,
                        },
                    )
                return redirect(event_url(event))
    else:
        form = RefundForm(initial={"amount": from_minor(refundable, original.currency)})
    return render(
        request,
        "ledger/refund.html",
        {"form": form, "original": original, "refundable_minor": refundable},
        status=status,
    )


# --- user signals --------------------------------------------------------------------------


@rule_required("ledger.log_value_any")
def log_signal(request):
    """Log a user signal: an experience rating with the prior expectation, co-creation, a
    shared story, or product ownership / a related purchase."""
    mes = _loggable(request)
    if request.method == "POST":
        already = UserSignal.objects.filter(
            logged_by=request.user, idempotency_key=_raw(request.POST, "token") or None
        ).first()
        if already is not None:
            messages.info(request, _("This form was already submitted: the signal was logged once."))
            return redirect(reverse("ledger:me-ledger", args=[already.me.code]) + "#signals")
        form = UserSignalForm(request.POST, mes=mes)
        choices = _choices(request.POST, mes)
        form.offer(choices)
        if form.is_valid():  # the service asks whether this user may log for the ME
            try:
                signal = services.user_signal_log(
                    actor=request.user, source=Source.UI, **form.service_kwargs()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Logged a %(kind)s signal for %(user)s.")
                    % {"kind": signal.get_kind_display().lower(), "user": signal.user_ref},
                )
                return redirect(reverse("ledger:me-ledger", args=[signal.me.code]) + "#signals")
        return render(request, "ledger/log_signal.html", {"form": form, "choices": choices}, status=400)
    form, choices = _unbound(UserSignalForm, request, mes, request.GET)
    return render(request, "ledger/log_signal.html", {"form": form, "choices": choices})


@require_GET
@rule_required("ledger.log_value_any")
def log_signal_fields(request):
    mes = _loggable(request)
    form, choices = _unbound(UserSignalForm, request, mes, request.GET)
    return render(request, "ledger/partials/log_signal_fields.html", {"form": form, "choices": choices})


# --- purpose indicators --------------------------------------------------------------------


@rule_required("ledger.log_value_any")
def log_indicator(request):
    """Log a purpose indicator for an EMC and day: CO2e avoided, energy saved, units recycled,
    people served (metrics 1 and 2 of the ecosystem brand standard)."""
    mes = _loggable(request)
    data = request.POST if request.method == "POST" else request.GET
    state = _state(data, mes)
    emcs = {
        e.pk: e for me in mes for e in org_selectors.me_emcs(me=me, on=state["on"])
    }  # a leader leads few MEs
    choices = {"emcs": sorted(emcs.values(), key=lambda e: e.code)}
    if request.method == "POST":
        key = _raw(request.POST, "token")
        if key and PurposeIndicator.objects.filter(logged_by=request.user, idempotency_key=key).exists():
            messages.info(request, _("This form was already submitted: the indicator was logged once."))
            return redirect(reverse("ledger:log-indicator"))
        form = PurposeIndicatorForm(request.POST, mes=mes)
        form.offer(choices)
        if form.is_valid():
            try:
                indicator = services.purpose_indicator_log(
                    actor=request.user, source=Source.UI, **form.service_kwargs()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Logged %(quantity)s %(unit)s (%(kind)s) for %(emc)s on %(day)s.")
                    % {
                        "quantity": indicator.quantity.normalize(),
                        "unit": indicator.unit,
                        "kind": indicator.get_kind_display().lower(),
                        "emc": indicator.emc.code,
                        "day": indicator.on,
                    },
                )
                return redirect(reverse("ledger:log-indicator"))
        return render(
            request, "ledger/log_indicator.html", {"form": form, "recent": _recent(request)}, status=400
        )
    initial = {"me": state["me"].code} if state["me"] else {}
    form = PurposeIndicatorForm(initial=initial, mes=mes)
    form.offer(choices)
    return render(request, "ledger/log_indicator.html", {"form": form, "recent": _recent(request)})


def _recent(request):
    return selectors.purpose_indicators_visible(user=request.user)[:20]
