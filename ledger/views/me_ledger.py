"""The ME ledger: events with their split, balances as of a date, contracts in force, progress
to target with a chart, recent user signals, and a CSV export of the filtered events."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from config.exports import csv_download
from config.web import paginate, rule_required
from ledger import selectors, ui_selectors
from ledger.forms import MELedgerFilterForm
from ledger.money import format_minor
from orgs.models import Microenterprise


def _me_or_404(request, code) -> Microenterprise:
    me = Microenterprise.objects.select_related("leader").filter(code=code).first()
    if me is None:
        raise Http404
    if not request.user.has_perm("ledger.view_me_ledger", me):
        raise PermissionDenied
    return me


def _filtered(request, me):
    emcs = list(ui_selectors.me_emcs_ever(me=me))
    form = MELedgerFilterForm(request.GET or None, emcs=emcs)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    emc_ids = {e.code: e.pk for e in emcs}
    events = ui_selectors.me_ledger_events(
        me=me,
        emc_id=emc_ids.get(data.get("emc") or ""),
        kind=data.get("kind") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    return form, data, events


@rule_required("ledger.view")
def me_ledger(request, code):
    me = _me_or_404(request, code)
    form, data, events = _filtered(request, me)
    page, query = paginate(request, events)
    rows = ui_selectors.events_annotate(page.object_list)
    refunded = ui_selectors.refunded_minor(event_ids=[e.pk for e in rows if e.kind == "payment"])
    for event in rows:
        event.refunded_minor = refunded.get(event.pk, 0)
    as_of = data.get("as_of") or timezone.localdate()
    can_log = request.user.has_perm("ledger.log_value", me)
    highlight = request.GET.get("highlight", "")
    return render(
        request,
        "ledger/me_ledger.html",
        {
            "me": me,
            "filter": form,
            "page": page,
            "rows": rows,
            "query": query,
            "as_of": as_of,
            "balances": selectors.me_balances(me=me, as_of=as_of),
            "emc_terms": ui_selectors.me_contracts_and_progress(me=me),
            "signals": ui_selectors.recent_signals(me=me),
            "can_log": can_log,
            "can_reverse": request.user.has_perm("ledger.reverse"),
            "highlight": int(highlight) if highlight.isdigit() else None,
            "export_query": query,
        },
    )


EXPORT_COLUMNS = [
    "event_id",
    "kind",
    "occurred_at",
    "me_code",
    "emc_code",
    "scenario_code",
    "solution_code",
    "category_code",
    "user_ref",
    "amount",
    "currency",
    "customized",
    "partner_codes",
    "transaction_id",
    "reversed",
    "leg_id",
    "account",
    "rule",
    "leg_amount",
    "contract_version",
    "explanation",
]


@rule_required("ledger.view")
def me_ledger_export(request, code):
    """The filtered events with their legs, one CSV line per leg (streamed, chunked prefetch)."""
    me = _me_or_404(request, code)
    _form, _data, events = _filtered(request, me)

    def lines():
        yield EXPORT_COLUMNS
        for event in events.iterator(chunk_size=1000):
            partners = ";".join(sorted(p.code for p in event.partners.all()))
            version = event.transaction.contract.version if event.transaction.contract_id else ""
            reversed_ = "yes" if hasattr(event.transaction, "reversed_by") else "no"
            for leg in event.transaction.legs.all():
                yield [
                    event.pk,
                    event.kind,
                    timezone.localtime(event.occurred_at).isoformat(),
                    me.code,
                    event.emc.code,
                    event.scenario.code,
                    event.solution.code if event.solution_id else "",
                    event.category.code,
                    event.user_ref,
                    format_minor(event.amount_minor, event.currency),
                    event.currency,
                    "true" if event.customized else "false",
                    partners,
                    event.transaction_id,
                    reversed_,
                    leg.pk,
                    leg.account.code,
                    leg.rule,
                    format_minor(leg.amount_minor, leg.currency),
                    version,
                    ui_selectors.leg_explanation(leg),
                ]

    stamp = timezone.localdate().isoformat()
    return csv_download(lines(), filename=f"ledger-{me.code}-{stamp}.csv", stream=True)
