"""Reads for the ledger's web pages (the UI's own selectors; the core ones live in selectors.py).

Every function here loads what one page needs in a fixed number of queries, whatever the number
of events, legs or accounts: pages pin that in tests.
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.uploads import csv_field_limit_raise
from ledger import selectors
from ledger.allocation import Rule
from ledger.models import Account, AccountDay, Contract, ImportBatch, Leg, Transaction, UserSignal, ValueEvent
from ledger.money import from_minor, to_minor
from ledger.posting import payments
from orgs import selectors as org_selectors
from orgs.currencies import currency_is_known
from orgs.models import EMC, Category, Microenterprise, Partner, Scenario, Solution
from orgs.selectors import partners_creditable_in_emc

# --- money and explanations ----------------------------------------------------------------


@lru_cache(maxsize=16)
def _babel_locale(language: str):
    """A parsed babel locale per language (parsing on every amount was most of a page's time)."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(translation.to_locale(language or "en"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def money_text(amount_minor: int | None, currency: str) -> str:
    """Format minor units for people, in the active language: 19900, CNY -> 'CN¥199.00'."""
    if amount_minor is None:
        return "—"
    if not currency_is_known(currency):
        return f"{amount_minor} {currency}"
    from babel.numbers import format_currency

    return format_currency(
        from_minor(amount_minor, currency), currency, locale=_babel_locale(translation.get_language())
    )


def _pct_text(value) -> str:
    try:
        return f"{Decimal(str(value)).normalize():f}%"
    except (InvalidOperation, ValueError):
        return f"{value}%"


RULE_LABELS = {
    Rule.USER_PAYMENT: gettext_lazy("user payment"),
    Rule.PLATFORM_FEE: gettext_lazy("platform fee"),
    Rule.PARTNER_SHARE: gettext_lazy("partner share"),
    Rule.HOLDBACK: gettext_lazy("holdback"),
    Rule.NODE_SHARE: gettext_lazy("node share"),
    Rule.REFUND: gettext_lazy("refund"),
    Rule.REVERSAL: gettext_lazy("reversal"),
}


def rule_label(rule: str) -> str:
    label = RULE_LABELS.get(rule)
    return str(label) if label else rule


def leg_explanation(leg: Leg) -> str:
    """The leg's basis in words, e.g. '5% platform fee of CN¥199.00'."""
    b, cur = leg.basis or {}, leg.currency
    if leg.rule == Rule.USER_PAYMENT:
        return _("The user paid %(amount)s") % {"amount": money_text(b.get("amount_minor"), cur)}
    if leg.rule in (Rule.PLATFORM_FEE, Rule.PARTNER_SHARE):
        return _("%(rate)s %(rule)s of %(base)s (rounded down)") % {
            "rate": _pct_text(b.get("rate_pct")),
            "rule": rule_label(leg.rule),
            "base": money_text(b.get("base_minor"), cur),
        }
    if leg.rule == Rule.HOLDBACK:
        return _("%(rate)s holdback of the remainder %(base)s (rounded down)") % {
            "rate": _pct_text(b.get("rate_pct")),
            "base": money_text(b.get("base_minor"), cur),
        }
    if leg.rule == Rule.NODE_SHARE:
        text = _("%(rate)s node share of the distributable %(base)s") % {
            "rate": _pct_text(b.get("rate_pct")),
            "base": money_text(b.get("base_minor"), cur),
        }
        if b.get("remainder_units"):
            text += " " + _("(+1 unit by largest remainder)")
        return text
    if leg.rule == Rule.REFUND:
        if "held_minor" in b:
            text = _(
                "Refund of %(refund)s, in proportion to the %(held)s this party still held of %(left)s"
            ) % {
                "refund": money_text(b.get("refund_minor"), cur),
                "held": money_text(b.get("held_minor"), cur),
                "left": money_text(b.get("remaining_minor"), cur),
            }
            if b.get("original_rule"):
                text += f" ({rule_label(b['original_rule'])})"
            return text
        return _("Refund of %(refund)s to the user, out of %(left)s not yet refunded") % {
            "refund": money_text(b.get("refund_minor"), cur),
            "left": money_text(b.get("remaining_minor"), cur),
        }
    if leg.rule == Rule.REVERSAL:
        return _("Reverses leg #%(leg)s (%(rule)s)") % {
            "leg": b.get("reverses_leg", "?"),
            "rule": rule_label(b.get("original_rule", "")),
        }
    return ""


def party_label(account: Account) -> str:
    """Who an account belongs to, for people: 'ME me-0001', 'Partner DryCo', 'Platform fee'."""
    if account.kind == Account.Kind.ME and account.me_id:
        return _("ME %(code)s") % {
            "code": account.code.split(":")[1] if ":" in account.code else account.me_id
        }
    if account.kind == Account.Kind.PARTNER:
        return _("Partner %(code)s") % {"code": account.code.split(":")[1]}
    if account.kind == Account.Kind.EMC_HOLDBACK:
        return _("EMC %(code)s holdback") % {"code": account.code.split(":")[1]}
    return str(account.get_kind_display())


def legs_annotate(legs) -> list[Leg]:
    """Attach `.explanation` and `.party` to legs (no query: accounts are select_related)."""
    out = []
    for leg in legs:
        leg.explanation = leg_explanation(leg)
        leg.party = party_label(leg.account)
        leg.rule_text = rule_label(leg.rule)
        out.append(leg)
    return out


# --- the landing page ----------------------------------------------------------------------


def my_mes(*, user) -> list[Microenterprise]:
    """The MEs a user leads or belongs to (open memberships), led ones first."""
    member_ids = user.memberships.filter(left_on__isnull=True).values("me_id")
    mes = Microenterprise.objects.filter(Q(leader=user) | Q(pk__in=member_ids)).order_by("code")
    return sorted(mes, key=lambda m: (m.leader_id != user.pk, m.code))


def me_cards(*, user, as_of: dt.date | None) -> list[dict]:
    """Each of the user's MEs with its accounts' balances (three queries in all)."""
    mes = my_mes(user=user)
    accounts = list(Account.objects.filter(me__in=mes).order_by("currency"))
    nets = selectors.balances(account_ids=[a.pk for a in accounts], as_of=as_of)
    by_me = defaultdict(list)
    for account in accounts:
        by_me[account.me_id].append({"account": account, "owed_minor": -nets[account.pk]})
    return [{"me": me, "balances": by_me.get(me.pk, []), "leads": me.leader_id == user.pk} for me in mes]


def accounts_list(*, kind: str = "", currency: str = "", q: str = "") -> QuerySet[Account]:
    qs = Account.objects.select_related("me", "emc", "partner").order_by("kind", "code")
    if kind:
        qs = qs.filter(kind=kind)
    if currency:
        qs = qs.filter(currency=currency.upper())
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs


def with_balances(accounts, *, as_of: dt.date | None) -> list[dict]:
    """Rows for a page of accounts: balance as debit-positive net and as the owner sees it."""
    accounts = list(accounts)
    nets = selectors.balances(account_ids=[a.pk for a in accounts], as_of=as_of)
    return [
        {"account": a, "net_minor": nets[a.pk], "balance_minor": nets[a.pk] * a.normal_sign} for a in accounts
    ]


def recent_transactions(*, user, limit: int = 15) -> list[Transaction]:
    """The latest transactions the user may see, with legs (two or three queries)."""
    txns = list(
        selectors.transactions_visible(user=user).select_related("value_event__me", "value_event__emc")[
            :limit
        ]
    )
    for txn in txns:
        txn.total_minor = sum(leg.amount_minor for leg in txn.legs.all() if leg.amount_minor > 0)
        txn.currency = next((leg.currency for leg in txn.legs.all()), "")
    return txns


# --- the ME ledger -------------------------------------------------------------------------


def me_ledger_events(
    *,
    me: Microenterprise,
    emc_id: int | None = None,
    kind: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[ValueEvent]:
    """The ME's events filtered, newest first, with legs, partners, contract and reversal."""
    qs = selectors.me_ledger_rows(me=me, date_from=date_from, date_to=date_to).select_related(
        "transaction__reversed_by", "logged_by"
    )
    if emc_id:
        qs = qs.filter(emc_id=emc_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def me_emcs_ever(*, me: Microenterprise) -> QuerySet[EMC]:
    """Every EMC the ME leads or ever held a seat in (for filters over its history)."""
    return EMC.objects.filter(Q(lead_me=me) | Q(nodes__me=me)).distinct().order_by("code")


def events_annotate(events) -> list[ValueEvent]:
    """Attach the annotated legs (`.split`) to each event of a page (no query)."""
    events = list(events)
    for event in events:
        event.split = legs_annotate(event.transaction.legs.all())
        event.is_reversed = hasattr(event.transaction, "reversed_by")
        totals: dict[str, int] = {}
        for leg in event.split:
            if leg.rule in (Rule.USER_PAYMENT, Rule.REVERSAL) or (
                leg.rule == Rule.REFUND and leg.amount_minor < 0
            ):
                continue
            # a refund's party legs are all rule "refund": name them by whose share they take back
            rule = KIND_RULE.get(leg.account.kind, leg.rule) if leg.rule == Rule.REFUND else leg.rule
            totals[rule] = totals.get(rule, 0) + abs(leg.amount_minor)
        event.split_summary = [
            {"rule": rule, "label": rule_label(rule), "amount_minor": amount}
            for rule, amount in sorted(totals.items(), key=lambda item: SUMMARY_ORDER.get(item[0], 9))
        ]
    return events


KIND_RULE = {
    Account.Kind.PLATFORM: Rule.PLATFORM_FEE,
    Account.Kind.PARTNER: Rule.PARTNER_SHARE,
    Account.Kind.EMC_HOLDBACK: Rule.HOLDBACK,
    Account.Kind.ME: Rule.NODE_SHARE,
}
SUMMARY_ORDER = {Rule.PLATFORM_FEE: 0, Rule.PARTNER_SHARE: 1, Rule.HOLDBACK: 2, Rule.NODE_SHARE: 3}


def refunded_minor(*, event_ids) -> dict[int, int]:
    """What was refunded of each payment (refunds not reversed), one query."""
    rows = (
        ValueEvent.objects.filter(original_id__in=list(event_ids), transaction__reversed_by__isnull=True)
        .values("original_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("original_id", "total")
        .order_by()
    )
    return dict(rows)


# the round steps an axis may end on, per power of ten; the top leaves this much headroom
AXIS_STEPS = (
    Decimal(1),
    Decimal("1.2"),
    Decimal("1.5"),
    Decimal(2),
    Decimal("2.5"),
    Decimal(3),
    Decimal(4),
    Decimal(5),
    Decimal(6),
    Decimal(8),
    Decimal(10),
)
AXIS_HEADROOM = Decimal("1.05")


def _round_up(value: Decimal) -> Decimal:
    """The smallest round number (AXIS_STEPS times a power of ten) at or above a positive value."""
    power = Decimal(10) ** value.adjusted()
    return next(step * power for step in AXIS_STEPS if step * power >= value)


def progress_axis(*, series_minor: list[int], target_minor: int, currency: str) -> dict:
    """The chart's value axis in major units, from the data and the target (not from the tier
    points beyond them, nor a fixed scale): from 0 (or below, when refunds took the running total
    under it) to a round number a little above the larger of the highest value and the target."""
    top = max([target_minor, *series_minor, 0])
    low = min([0, *series_minor])

    def edge(minor: int) -> int:  # a round number of minor units, whole (never a fraction of a cent)
        return int(_round_up(Decimal(minor) * AXIS_HEADROOM).to_integral_value(rounding=ROUND_CEILING))

    axis_max = from_minor(edge(top), currency) if top > 0 else Decimal(1)
    axis_min = -from_minor(edge(-low), currency) if low < 0 else Decimal(0)
    return {"min": f"{axis_min.normalize():f}", "max": f"{axis_max.normalize():f}"}


def _running(daily: dict, *, on: dt.date, start: dt.date, end: dt.date) -> list[int]:
    out, running, day = [], 0, start
    while day <= min(end, on):
        running += daily.get(day, 0)
        out.append(running)
        day += dt.timedelta(days=1)
    return out


def progress_series(*, contract: Contract, daily: dict, on: dt.date, start: dt.date, end: dt.date) -> list:
    return [
        {
            "day": (start + dt.timedelta(days=i)).isoformat(),
            "value": str(from_minor(total, contract.currency)),
        }
        for i, total in enumerate(_running(daily, on=on, start=start, end=end))
    ]


def me_contracts_and_progress(*, me: Microenterprise, on: dt.date | None = None) -> list[dict]:
    """For each EMC of the ME: the contract in force, and the current period's user-paid value
    (the EMC's, and this ME's part of it) against the target, with a chart's data series."""
    on = on or timezone.localdate()
    emcs = list(org_selectors.me_emcs(me=me, on=on))
    contracts = selectors.contracts_in_force(emc_ids=[e.pk for e in emcs], on=on)
    bounds, emc_daily, me_daily = selectors.period_daily_values(contracts=contracts, on=on, me_id=me.pk)
    out = []
    for emc in emcs:
        contract = contracts.get(emc.pk)
        item = {"emc": emc, "contract": contract}
        if contract is not None:
            start, end = bounds[emc.pk]
            value = sum(emc_daily[emc.pk].values())
            cur = contract.currency
            tiers = selectors.contract_tiers(contract)
            item.update(
                {
                    "period_start": start,
                    "period_end": end,
                    "value_minor": value,
                    "me_value_minor": sum(me_daily[emc.pk].values()),
                    "progress_pct": selectors.progress_pct(value, contract.target_minor),
                    "bar_pct": max(0, min(100, int(value * 100 / contract.target_minor))),
                    "tiers": tiers,
                    "chart": {
                        "id": f"progress-{emc.code}",
                        "currency": cur,
                        "emc": emc.code,
                        "me": me.code,
                        "series": progress_series(
                            contract=contract, daily=emc_daily[emc.pk], on=on, start=start, end=end
                        ),
                        "me_series": progress_series(
                            contract=contract, daily=me_daily[emc.pk], on=on, start=start, end=end
                        ),
                        "period_end": end.isoformat(),
                        "axis": progress_axis(
                            series_minor=_running(emc_daily[emc.pk], on=on, start=start, end=end)
                            + _running(me_daily[emc.pk], on=on, start=start, end=end),
                            target_minor=contract.target_minor,
                            currency=cur,
                        ),
                        "target": str(from_minor(contract.target_minor, cur)),
                        "floor": str(from_minor(contract.floor_minor, cur)),
                        "tiers": [
                            {
                                "label": f"≥{t['threshold_pct']:g}% → {_pct_text(t['rate_pct'])}",
                                "value": str(from_minor(t["at_minor"], cur)),
                            }
                            for t in tiers
                        ],
                    },
                }
            )
        out.append(item)
    return out


def recent_signals(*, me: Microenterprise, limit: int = 10) -> list[UserSignal]:
    return list(
        UserSignal.objects.filter(me=me)
        .select_related("emc", "solution")
        .order_by("-occurred_at", "-id")[:limit]
    )


# --- the log forms' choices -----------------------------------------------------------------


def loggable_mes(*, user) -> QuerySet[Microenterprise]:
    """MEs the user may log value for: those they lead (platform admins: every live ME)."""
    live = Microenterprise.objects.exclude(status__in=["dissolved", "merged", "split"]).order_by("code")
    if user.has_perm("ledger.manage_contracts"):
        return live
    return live.filter(leader=user)


def log_form_choices(
    *,
    me: Microenterprise | None,
    emc: EMC | None,
    scenario: Scenario | None,
    on: dt.date,
    solution: Solution | None = None,
) -> dict:
    """The choices the log forms offer: the ME's EMCs on `on`; the chosen EMC's scenarios,
    their solutions, and the partners creditable in it on `on` that hold a share in its
    contract in force (the service accepts no others); the categories of the chosen solution
    (every category without one, or for a solution that bundles none), with each solution's
    categories for the page script; and that contract."""
    emcs = list(org_selectors.me_emcs(me=me, on=on)) if me is not None else []
    if emc is not None and emc.pk not in {e.pk for e in emcs}:
        emc = None
    scenarios = list(Scenario.objects.filter(emcs=emc).order_by("name")) if emc else []
    if scenario is not None and scenario.pk not in {s.pk for s in scenarios}:
        scenario = None
    solutions = list(Solution.objects.filter(scenario=scenario).order_by("name")) if scenario else []
    bundles = defaultdict(list)  # solution code -> its category codes (one query over the through table)
    if solutions:
        through = Solution.categories.through.objects.filter(solution__in=solutions)
        for sol_code, cat_code in through.values_list("solution__code", "category__code").order_by(
            "category__code"
        ):
            bundles[sol_code].append(cat_code)
    if solution is not None and solution.pk not in {s.pk for s in solutions}:
        solution = None
    every_category = list(Category.objects.order_by("name"))
    offered = set(bundles.get(solution.code, ())) if solution is not None else set()
    contract = selectors.contracts_in_force(emc_ids=[emc.pk], on=on).get(emc.pk) if emc else None
    partners = []
    if emc is not None and contract is not None:
        shares = {s.partner_id: s.share_pct for s in contract.partner_shares.all()}
        partners = list(
            partners_creditable_in_emc(emc_id=emc.pk, on=on).filter(pk__in=shares).order_by("name")
        )
        for p in partners:
            p.share_pct = shares[p.pk]
    return {
        "emcs": emcs,
        "emc": emc,
        "scenarios": scenarios,
        "scenario": scenario,
        "solutions": solutions,
        "solution": solution,
        "categories": [c for c in every_category if c.code in offered] if offered else every_category,
        "all_categories": every_category,
        "solution_categories": dict(bundles),
        "partners": partners,
        "contract": contract,
    }


# --- imports -------------------------------------------------------------------------------


def import_preview(*, batch: ImportBatch, limit: int = 20) -> dict:
    """The first rows of an uploaded file, its columns, and payment/refund totals per currency
    (streamed: a 100,000-row file is read once, never held in memory)."""
    head, totals, counts = [], defaultdict(int), defaultdict(int)
    columns: list[str] = []
    if not batch.file:
        return {"columns": columns, "rows": head, "totals": [], "kinds": {}}
    csv_field_limit_raise()
    with batch.file.open("rb") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        columns = list(reader.fieldnames or [])
        for row in reader:
            if len(head) < limit:
                head.append([row.get(c, "") for c in columns])
            kind = (row.get("kind") or "").strip() or (
                "payment" if batch.kind == ImportBatch.Kind.EVENTS else "signal"
            )
            counts[kind] += 1
            currency = (row.get("currency") or "").strip().upper()
            if batch.kind == ImportBatch.Kind.EVENTS and currency_is_known(currency):
                try:
                    minor = to_minor(row.get("amount") or "", currency)
                except Exception:  # validation already reported it; totals are a hint
                    continue
                totals[currency] += -minor if kind == "refund" else minor
    return {
        "columns": columns,
        "rows": head,
        "totals": [{"currency": c, "net_minor": t} for c, t in sorted(totals.items())],
        "kinds": dict(sorted(counts.items())),
    }


def import_errors(*, batch: ImportBatch, limit: int = 200) -> tuple[list[dict], int]:
    """The first `limit` lines of the error report and the total number of errors."""
    rows = []
    reader = csv.DictReader(io.StringIO(batch.error_report or ""))
    for row in reader:
        if len(rows) >= limit:
            break
        rows.append(row)
    return rows, batch.errors


# --- the split preview of the log form -------------------------------------------------------


def split_preview(*, emc: EMC | None, on: dt.date, amount: str, currency: str, partner_codes) -> dict:
    """What a payment would post under the contract in force: the posting engine's own split
    (`posting.payments.terms_on`, the splitter it posts with), no write:
    {"parts": [{"label", "rule", "amount_minor"}], "currency", "amount_minor"} or {"message"}."""
    if emc is None or not (amount or "").strip():
        return {}
    terms = payments.terms_on(emc.pk, on)
    if terms is None:
        return {}
    try:
        amount_minor = to_minor(amount, currency or terms.currency)
    except ValidationError as exc:
        return {"message": " ".join(exc.messages)}
    if amount_minor <= 0 or (currency or terms.currency) != terms.currency:
        return {}
    chosen = {
        p["id"]: p["name"]
        for p in Partner.objects.filter(code__in=list(partner_codes), pk__in=list(terms.partner_pcts)).values(
            "id", "name"
        )
    }
    try:
        parts = terms.splitter.split(amount_minor, tuple(sorted(chosen)))
    except ValueError as exc:  # terms the engine would refuse to split: say so, as posting would
        return {"message": str(exc)}
    me_codes = dict(
        Microenterprise.objects.filter(pk__in=[pk for pk, _pct in terms.node_pcts]).values_list("id", "code")
    )
    labels = {
        "platform": lambda _o: _("Platform fee"),
        "partner": lambda o: chosen.get(o, o),
        "emc_holdback": lambda _o: _("EMC holdback"),
        "me": lambda o: _("ME %(code)s") % {"code": me_codes.get(o, o)},
    }
    rows = [
        {
            "label": labels[p.target[0]](p.target[1]),
            "rule": rule_label(p.rule),
            "amount_minor": -p.amount_minor,
        }
        for p in parts
        if p.target[0] != "clearing"
    ]
    return {"parts": rows, "currency": terms.currency, "amount_minor": amount_minor}


def ecosystem_daily_value(*, days: int = 30, until: dt.date | None = None) -> dict:
    """User-paid value per day and currency over the last `days` days, for the dashboard chart.

    Read from the clearing accounts' daily rollups (payments are their debits, refunds their
    credits), so the cost grows with days x currencies, never with the number of events.
    """
    until = until or timezone.localdate()
    start = until - dt.timedelta(days=days - 1)
    rows = (
        AccountDay.objects.filter(account__kind=Account.Kind.CLEARING, day__range=(start, until))
        .values("day", "account__currency")
        .annotate(paid=Sum("debit_minor"), refunded=Sum("credit_minor"))
        .order_by("day")
    )
    labels = [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]
    series: dict[str, list] = {}
    for row in rows:
        currency = row["account__currency"]
        values = series.setdefault(currency, [0] * days)
        values[(row["day"] - start).days] = str(from_minor(row["paid"] - row["refunded"], currency))
    return {"labels": labels, "series": series}
