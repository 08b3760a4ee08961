"""The payout computation: a period's legs aggregated in SQL, the rule (payouts.calc) applied
per EMC and ME, the lines of the draft replaced in one transaction (re-running never duplicates).
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import ConflictError
from ledger import bulk
from orgs.audit import audit_record
from orgs.models import Membership
from payouts import calc, selectors
from payouts.models import (
    CoInvestment,
    PayoutAdjustment,
    PayoutLine,
    PayoutPeriod,
    PayoutReport,
)
from payouts.services.periods import period_before, period_bounds

LINE_BATCH = 2000  # rows per INSERT: keeps SQLite under its variable limit, PG statements small


@dataclass
class EMCResult:
    """One EMC's period: the terms at its start, the accruals per ME, the parties' values."""

    terms: calc.RuleTerms
    versions: list
    accruals: dict
    value_minor: int
    data: dict = field(default_factory=dict)

    @property
    def last_terms(self) -> calc.RuleTerms:
        return self.versions[-1]


def period_emcs(kind: str, start: dt.date, end: dt.date, currency: str, terms_by_emc: dict) -> dict:
    """EMCs in the period, with the version that gives it: in force at its start, else the first
    that takes effect inside it (a contract that began mid-period)."""
    out = {}
    for emc_id, versions in terms_by_emc.items():
        first = selectors.terms_in_force(versions, start) or next(
            (t for t in versions if start < t.effective_from <= end), None
        )
        if first is not None and first.period == kind and first.currency == currency:
            out[emc_id] = (first, [t for t in versions if t.effective_from <= end])
    return out


def accruals_compute(*, kind: str, start: dt.date, end: dt.date, currency: str) -> dict[int, EMCResult]:
    """Every EMC's accruals for the period, from the legs that belong to it (two SQL reads)."""
    terms_by_emc = selectors.rule_terms_load(until=end, currency=currency)
    emcs = period_emcs(kind, start, end, currency, terms_by_emc)
    if not emcs:
        return {}
    by_emc = selectors.legs_by_party(
        selectors.period_legs(currency=currency, start=start, end=end, emc_ids=set(emcs))
    )
    gates_by_emc = goals_gate(emcs, start=start, end=end)
    results = {}
    for emc_id, (first, versions) in emcs.items():
        first, versions, gates = gates_by_emc.get(emc_id, (first, versions, []))
        data = by_emc.get(emc_id) or {
            "emc_days": {},
            "me_days": [],
            "partners": {},
            "platform": 0,
            "holdback": 0,
            "events": 0,
        }

        def terms_on(day, versions=versions, first=first):
            return selectors.terms_in_force(versions, day) or first

        accruals, value = calc.emc_accrue(
            terms_on=terms_on, emc_days=data["emc_days"].items(), me_days=data["me_days"]
        )
        results[emc_id] = EMCResult(first, versions, accruals, value, {**data, "gates": gates})
    return results


def goals_gate(emcs: dict, *, start: dt.date, end: dt.date) -> dict:
    """The tier gates of the EMCs' versions applied: {emc: (first, versions, gates)} with each
    version's `gated` thresholds those whose goal the EMC's figure as of the period's last
    scored night does not meet (no figure: not met). Two queries for all EMCs."""
    contract_ids = {t.contract_id for _first, versions in emcs.values() for t in versions}
    gates = selectors.tier_gates(contract_ids)
    if not gates:
        return {}
    metrics = {metric for rows in gates.values() for _t, metric, _target in rows}
    figures = selectors.goal_figures(emc_ids=set(emcs), metrics=metrics, start=start, end=end)
    out = {}
    for emc_id, (first, versions) in emcs.items():
        if not any(t.contract_id in gates for t in versions):
            continue
        shown, replaced = [], {}
        for t in versions:
            failed = set()
            for threshold, metric, target in gates.get(t.contract_id, ()):
                figure, day = figures.get((emc_id, metric), (None, None))
                met = figure is not None and figure >= target
                if not met:
                    failed.add(threshold)
                shown.append(
                    {
                        "version": t.version,
                        "tier": f"tier {Decimal(threshold).normalize():f}%",
                        "metric": metric,
                        "target": _pct_text(target),
                        "figure": None if figure is None else _pct_text(figure),
                        "night": day.isoformat() if day else None,
                        "met": met,
                    }
                )
            replaced[t.contract_id] = dataclasses.replace(t, gated=frozenset(failed)) if failed else t
        out[emc_id] = (replaced[first.contract_id], [replaced[t.contract_id] for t in versions], shown)
    return out


def _line_fields() -> list:
    return [f for f in PayoutLine._meta.concrete_fields if not f.primary_key]


def lines_replace(report: PayoutReport, lines: list[SimpleNamespace]) -> None:
    """The report's lines replaced by `lines` (each a line's values by attribute name): on
    PostgreSQL deleted by one statement and written by COPY (at the haier scale the ORM's
    collector and bulk INSERTs were most of a computation: 4.3 of 7.3 s for 15,000 lines,
    bench/HISTORY.md), each value the field's own database value, as bulk_create writes it.

    A line someone asked about keeps its row, so its inquiry stays with it: it is updated in
    place with the night's figures for its key (or, when its key has no line tonight, its amounts
    set to zero, last night's payable kept as what changed)."""
    asked = dict(
        PayoutLine.objects.filter(report=report, inquiries__isnull=False).values_list("key", "id").distinct()
    )
    if asked:
        lines = _asked_lines_update(asked, lines)
    old = PayoutLine.objects.filter(report=report).exclude(id__in=list(asked.values()))
    if not bulk.is_postgres():
        old.delete()
        PayoutLine.objects.bulk_create((PayoutLine(**vars(line)) for line in lines), batch_size=LINE_BATCH)
        return
    db = connections[old.db]
    with db.cursor() as cursor:
        cursor.execute(
            "DELETE FROM payouts_payoutline WHERE report_id = %s AND NOT (id = ANY(%s))",
            [report.pk, list(asked.values())],
        )
    fields = _line_fields()
    prep = [f.get_internal_type() in ("DecimalField", "JSONField") for f in fields]
    rows = [
        tuple(
            f.get_db_prep_save(getattr(line, f.attname), db) if p else getattr(line, f.attname)
            for f, p in zip(fields, prep, strict=True)
        )
        for line in lines
    ]
    bulk.insert_rows(PayoutLine._meta.db_table, [f.column for f in fields], rows)


def _asked_lines_update(asked: dict[str, int], lines: list[SimpleNamespace]) -> list[SimpleNamespace]:
    """Update the lines asked about in place (a few rows); return the others, to be written."""
    rest = []
    for line in lines:
        pk = asked.get(line.key)
        if pk is None:
            rest.append(line)
            continue
        PayoutLine.objects.filter(pk=pk).update(**vars(line))
    tonight = {line.key for line in lines}
    amounts = [
        f.attname
        for f in PayoutLine._meta.concrete_fields
        if f.attname.endswith("_minor") and f.attname != "previous_payable_minor"
    ]
    for key, pk in asked.items():
        if key not in tonight:
            PayoutLine.objects.filter(pk=pk).update(
                previous_payable_minor=F("payable_minor"), events=0, **dict.fromkeys(amounts, 0)
            )
    return rest


def prior_adjustments(*, report: PayoutReport) -> list[PayoutAdjustment]:
    """What changed in every earlier locked period of the report's kind and currency since it was
    reckoned (unsaved rows for `report`): late events, refunds and reversals of its payments.

    They go to the next open period, this one, only when every earlier report is locked (an
    earlier open report takes them first). A locked period is recomputed only when a value
    transaction was recorded after its lock with a value day inside it (one grouped query);
    what it has paid so far is its line's accrual plus the adjustments already taken by locked
    reports (one query), so an adjustment is taken once however far back its period lies."""
    period = report.period
    earlier = list(
        PayoutReport.objects.filter(
            period__kind=period.kind, period__currency=period.currency, period__start__lt=period.start
        )
        .select_related("period")
        .order_by("period__start")
    )
    if not earlier or any(r.status != PayoutReport.Status.LOCKED for r in earlier):
        return []
    touched = selectors.days_changed_since(
        currency=period.currency, since=min(r.locked_at for r in earlier), before=period.start
    )
    sources = [
        r
        for r in earlier
        if any(r.period.start <= day <= r.period.end and last > r.locked_at for day, last in touched.items())
    ]
    if not sources:
        return []
    paid = selectors.accrual_paid(sources=sources)
    out = []
    for source in sources:
        p = source.period
        fresh = accruals_compute(kind=p.kind, start=p.start, end=p.end, currency=p.currency)
        keys = {(e, m) for (s, e, m) in paid if s == source.pk}
        keys |= {(e, m) for e, r in fresh.items() for m in r.accruals}
        for emc_id, me_id in sorted(keys):
            r = fresh.get(emc_id)
            acc = r.accruals.get(me_id) if r else None
            now = calc.cap_apply(acc.accrued_minor, r.terms.cap_minor) if acc else 0
            before = paid.get((source.pk, emc_id, me_id), 0)
            if now != before:
                out.append(
                    PayoutAdjustment(
                        report=report,
                        source=source,
                        emc_id=emc_id,
                        me_id=me_id,
                        accrued_before_minor=before,
                        accrued_now_minor=now,
                        amount_minor=now - before,
                    )
                )
    return out


def report_for(*, kind: str, on: dt.date, currency: str) -> PayoutReport:
    """The report of the period of kind `kind` containing `on` (created as an empty draft)."""
    start, end = period_bounds(kind, on)
    period, _created = PayoutPeriod.objects.get_or_create(
        kind=kind, start=start, currency=currency, defaults={"end": end}
    )
    report, _created = PayoutReport.objects.get_or_create(period=period)
    return report


def payout_night_compute(*, run_date: dt.date) -> list[int]:
    """Recompute the draft of every open period containing `run_date` (idempotent); return the
    ids of the reports recomputed. Submitted, approved and locked reports are left as they are."""
    terms_by_emc = selectors.rule_terms_load(until=run_date)
    wanted = set()
    for versions in terms_by_emc.values():
        terms = selectors.terms_in_force(versions, run_date)
        if terms is not None:
            wanted.add((terms.period, terms.currency))
    done = []
    for kind, currency in sorted(wanted):
        report = report_for(kind=kind, on=run_date, currency=currency)
        if report.status == PayoutReport.Status.DRAFT:
            payout_report_compute(report=report, computed_for=run_date)
            done.append(report.pk)
    return done


def _pct_text(value) -> str:
    return f"{Decimal(value).normalize():f}"


def _me_explanation(result: EMCResult, acc: calc.MEAccrual | None) -> dict:
    terms = result.terms
    out = {
        "emc_value_minor": result.value_minor,
        "target_minor": terms.target_minor,
        "progress_pct": _pct_text(round(Decimal(result.value_minor) * 100 / terms.target_minor, 2)),
        "floor_minor": terms.floor_minor,
        "cap_minor": terms.cap_minor,
        "bands": [],
    }
    if acc is not None:
        out["bands"] = [
            {
                "band": label,
                "value_minor": int(value),
                "rate_pct": _pct_text(Decimal(acc.rates[label].numerator) / acc.rates[label].denominator),
            }
            for label, value in acc.by_band.items()
            if value
        ]
        out["contract_versions"] = sorted(acc.versions)
    if result.data.get("gates"):
        out["gates"] = result.data["gates"]
    return out


@transaction.atomic
def payout_report_compute(
    *, report: PayoutReport, computed_for: dt.date | None = None, actor=None
) -> PayoutReport:
    """Replace a draft report's lines with a fresh computation from the ledger (docs/payouts.md).
    A person's recompute (`actor`, who must hold payouts.compute) leaves an audit row; the night's does not."""
    if actor is not None and not actor.has_perm("payouts.compute"):
        raise PermissionDenied(_("You may not recompute payout reports."))
    # the report row serializes computations and the lifecycle; NO KEY: its lines' foreign keys
    # need not wait for it
    report = PayoutReport.objects.select_for_update(no_key=True).select_related("period").get(pk=report.pk)
    if report.status != PayoutReport.Status.DRAFT:
        raise ConflictError(_("Only a draft report is recomputed; this one is %(s)s.") % {"s": report.status})
    period = report.period
    kind, start, end, currency = period.kind, period.start, period.end, period.currency
    results = accruals_compute(kind=kind, start=start, end=end, currency=currency)

    # the period before: its carry; every earlier locked period changed since: adjustments
    prev_start, _prev_end = period_before(kind, start)
    prev = PayoutReport.objects.filter(
        period__kind=kind, period__start=prev_start, period__currency=currency
    ).first()
    carried_in = {}
    if prev is not None:
        carried_in = {
            (emc_id, me_id): carried
            for emc_id, me_id, carried in PayoutLine.objects.filter(
                report=prev, kind=PayoutLine.Kind.ME
            ).values_list("emc_id", "me_id", "carried_out_minor")
            if carried
        }
    adjustment_rows = prior_adjustments(report=report)
    adjustments, adjustment_basis = defaultdict(int), defaultdict(list)
    for row in adjustment_rows:
        key = (row.emc_id, row.me_id)
        adjustments[key] += row.amount_minor
        adjustment_basis[key].append(
            {
                "period": f"{row.source.period.start} to {row.source.period.end}",
                "report": row.source_id,
                "accrued_when_locked_minor": row.accrued_before_minor,
                "accrued_now_minor": row.accrued_now_minor,
                "amount_minor": row.amount_minor,
            }
        )
    released = selectors.released_holdbacks(currency=currency, start=start, end=end)

    me_keys = {(e, m) for e, r in results.items() for m in r.accruals}
    me_keys |= {k for k in (set(carried_in) | set(adjustments) | set(released)) if k[0] in results}
    coinvests = defaultdict(dict)
    for ci in CoInvestment.objects.filter(emc_id__in=list(results), period_start=start, currency=currency):
        coinvests[(ci.emc_id, ci.me_id)][ci.user_id] = ci.amount_minor
        me_keys.add((ci.emc_id, ci.me_id))
    memberships = defaultdict(list)
    for me_id, user_id, weight, joined_on, left_on in Membership.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=start), me_id__in={m for _e, m in me_keys}, joined_on__lte=end
    ).values_list("me_id", "user_id", "weight", "joined_on", "left_on"):
        memberships[me_id].append((user_id, weight, joined_on, left_on))

    previous = dict(PayoutLine.objects.filter(report=report).values_list("key", "payable_minor"))
    lines: list[SimpleNamespace] = []
    defaults = {f.attname: f.get_default() for f in _line_fields()}
    mes_of = defaultdict(list)
    for emc_id, me_id in me_keys:
        mes_of[emc_id].append(me_id)

    def add(key: str, **fields) -> SimpleNamespace:
        """A line's values by field name (a model instance each cost more than the rest of the
        computation at the haier scale); lines_replace writes them."""
        line = SimpleNamespace(
            **{
                **defaults,
                "explanation": {},
                "report_id": report.pk,
                "key": key,
                "currency": currency,
                "previous_payable_minor": previous.get(key),
                **fields,
            }
        )
        lines.append(line)
        return line

    for emc_id in sorted(results):
        r = results[emc_id]
        t = r.terms
        release_on = end + dt.timedelta(days=t.holdback_days)
        bet_met = r.value_minor >= t.target_minor
        tier_label, tier_rate = r.last_terms.band_at(r.value_minor)
        gated = "; ".join(
            f"{g['tier']}: {g['metric']} {g['figure'] or '-'} < {g['target']}"
            for g in r.data.get("gates", ())
            if not g["met"]
        )[:120]
        emc_line = add(
            f"emc:{emc_id}",
            kind=PayoutLine.Kind.EMC,
            emc_id=emc_id,
            events=r.data["events"],
            value_minor=r.value_minor,
            contract_versions=",".join(str(v.version) for v in r.versions),
            tier=tier_label,
            rate_pct=Decimal(tier_rate.numerator) / tier_rate.denominator,
            explanation={
                "target_minor": t.target_minor,
                "bet_met": bet_met,
                "holdback_posted_minor": r.data["holdback"],
                "partners_minor": sum(v for v, _n in r.data["partners"].values()),
                "platform_minor": r.data["platform"],
                "gates": r.data.get("gates", []),
            },
            goal=gated,
        )
        for me_id in sorted(mes_of[emc_id]):
            me_key = (emc_id, me_id)
            acc = r.accruals.get(me_id)
            accrued = acc.accrued_minor if acc else 0
            capped = calc.cap_apply(accrued, t.cap_minor)
            s = calc.line_settle(
                capped_minor=capped,
                holdback_pct=t.holdback_pct,
                min_payout_minor=t.min_payout_minor,
                adjustment_minor=adjustments.get(me_key, 0),
                released_minor=released.get(me_key, 0),
                carried_in_minor=carried_in.get(me_key, 0),
            )
            explanation = _me_explanation(r, acc)
            explanation["capped"] = capped != accrued
            if me_key in adjustment_basis:
                explanation["adjustments"] = adjustment_basis[me_key]
            add(
                f"me:{emc_id}:{me_id}",
                kind=PayoutLine.Kind.ME,
                emc_id=emc_id,
                me_id=me_id,
                events=acc.events if acc else 0,
                value_minor=acc.value_minor if acc else 0,
                accrued_minor=accrued,
                capped_minor=capped,
                adjustment_minor=adjustments.get(me_key, 0),
                held_back_minor=s.held_back_minor,
                release_on=release_on if s.held_back_minor else None,
                released_minor=released.get(me_key, 0),
                carried_in_minor=carried_in.get(me_key, 0),
                carried_out_minor=s.carried_out_minor,
                payable_minor=s.payable_minor,
                contract_versions=",".join(str(v) for v in sorted(acc.versions)) if acc else "",
                tier=tier_label,
                rate_pct=emc_line.rate_pct,
                goal=gated,
                explanation=explanation,
            )
            emc_line.accrued_minor += accrued
            emc_line.capped_minor += capped
            emc_line.payable_minor += s.payable_minor
            weights = calc.weight_days(memberships.get(me_id, ()), start, end)
            shares = calc.members_split(s.payable_minor, weights)
            stakes = coinvests.get(me_key, {})
            for user_id in sorted(set(shares) | set(stakes)):
                returned, forfeited = calc.coinvest_settle(
                    stakes.get(user_id, 0), bet_met=bet_met, return_pct=t.coinvest_return_pct
                )
                add(
                    f"member:{emc_id}:{me_id}:{user_id}",
                    kind=PayoutLine.Kind.MEMBER,
                    emc_id=emc_id,
                    me_id=me_id,
                    user_id=user_id,
                    payable_minor=shares.get(user_id, 0) + returned,
                    coinvest_minor=stakes.get(user_id, 0),
                    coinvest_returned_minor=returned,
                    coinvest_forfeited_minor=forfeited,
                    explanation={
                        "weight_days": _pct_text(weights.get(user_id, 0)),
                        "weight_days_total": _pct_text(sum(weights.values(), Decimal(0))),
                        "me_payable_minor": s.payable_minor,
                    },
                )
        for partner_id, (value, events) in sorted(r.data["partners"].items()):
            add(
                f"partner:{emc_id}:{partner_id}",
                kind=PayoutLine.Kind.PARTNER,
                emc_id=emc_id,
                partner_id=partner_id,
                events=events,
                value_minor=value,
            )
        if r.data["platform"]:
            add(
                f"platform:{emc_id}",
                kind=PayoutLine.Kind.PLATFORM,
                emc_id=emc_id,
                value_minor=r.data["platform"],
            )

    lines_replace(report, lines)
    PayoutAdjustment.objects.filter(report=report).delete()
    PayoutAdjustment.objects.bulk_create(
        [row for row in adjustment_rows if (row.emc_id, row.me_id) in me_keys], batch_size=LINE_BATCH
    )
    PayoutReport.objects.filter(pk=report.pk).update(
        computed_at=timezone.now(),
        computed_for=computed_for or report.computed_for,
        computations=report.computations + 1,
    )
    report.refresh_from_db()
    if actor is not None:
        audit_record(
            actor=actor, action="payouts.report_compute", target=report, changes={"lines": len(lines)}
        )
    return report
