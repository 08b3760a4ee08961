"""The posting engine: ONE code path for a single logged event and a 100,000-row import.

`value_events_post` validates a whole batch set-based (a fixed number of queries whatever its
size), then writes transactions, events, partner links and legs with bulk inserts and updates
the daily rollups (AccountDay) with one upsert (on PostgreSQL the database writes them from the
leg inserts: see `legs_write`), all in the caller's DB transaction.
Validation collects every error by spec index and field, so a batch is all-or-nothing.
"""

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import allocation, bulk, selectors
from ledger.allocation import Part
from ledger.context import OrgContext, local_date, occurred_at_error, posting_context_load, user_ref_error
from ledger.locks import rows_lock
from ledger.models import (
    ROLLUP_SLOTS,
    Account,
    AccountDay,
    Leg,
    Source,
    Transaction,
    ValueEvent,
    ValueEventPartner,
)
from ledger.money import currency_is_known
from ledger.terms import Terms, terms_in_force
from orgs.models import Microenterprise

EVENT_KINDS = frozenset(ValueEvent.Kind.values)
BULK_BATCH = 2000  # rows per INSERT: ~2k keeps SQLite under its variable limit and PG statements small
UPSERT_BATCH = 1000


@dataclass(slots=True)
class ValueEventSpec:
    """One event to post. Refunds give `original_id` (stored event) or `original_index` (an
    earlier payment in the same batch); their ME/EMC/scenario/partners come from the original."""

    kind: str = ValueEvent.Kind.PAYMENT
    me_id: int | None = None
    emc_id: int | None = None
    scenario_id: int | None = None
    solution_id: int | None = None
    category_id: int | None = None
    user_ref: str = ""
    amount_minor: int = 0
    currency: str = ""
    occurred_at: dt.datetime | None = None
    customized: bool = False
    partner_ids: tuple[int, ...] = ()
    original_id: int | None = None
    original_index: int | None = None
    note: str = ""
    idempotency_key: str | None = None
    import_batch_id: int | None = None


@dataclass(slots=True)
class _Plan:
    spec: ValueEventSpec
    occurred_on: dt.date
    contract_id: int | None
    parts: list[Part]
    partner_ids: tuple[int, ...]
    event_fields: dict = field(default_factory=dict)


class BatchValidationError(ValidationError):
    """Errors of a batch: `row_errors` maps spec index -> {field: [messages]}."""

    def __init__(self, row_errors: dict[int, dict[str, list[str]]]):
        self.row_errors = row_errors
        flat = {
            f"{index}.{name}": msgs for index, fields in row_errors.items() for name, msgs in fields.items()
        }
        super().__init__(flat)


# --- accounts ------------------------------------------------------------------------------


def account_code(target, currency: str, ctx_codes: dict) -> tuple[str, dict]:
    """Account code and create-fields for an allocation target."""
    kind, owner = target
    if kind == "clearing":
        return f"clearing:{currency}", {
            "kind": Account.Kind.CLEARING,
            "name": f"User-payments clearing {currency}",
        }
    if kind == "platform":
        return f"platform-fee:{currency}", {
            "kind": Account.Kind.PLATFORM,
            "name": f"Platform service fee {currency}",
        }
    if kind == "payable":
        return f"payable:{currency}", {"kind": Account.Kind.PAYABLE, "name": f"Payouts payable {currency}"}
    code = ctx_codes[(kind, owner)]
    if kind == "me":
        return f"me:{code}:{currency}", {
            "kind": Account.Kind.ME,
            "me_id": owner,
            "name": f"ME {code} {currency}",
        }
    if kind == "partner":
        return f"partner:{code}:{currency}", {
            "kind": Account.Kind.PARTNER,
            "partner_id": owner,
            "name": f"Partner {code} {currency}",
        }
    if kind == "emc_holdback":
        return f"emc-holdback:{code}:{currency}", {
            "kind": Account.Kind.EMC_HOLDBACK,
            "emc_id": owner,
            "name": f"EMC {code} holdback {currency}",
        }
    raise ValueError(f"unknown account target {target!r}")


def accounts_get_or_create(*, wanted: dict[str, dict], known: dict[str, int] | None = None) -> dict[str, int]:
    """Map account codes to ids, creating missing accounts in bulk (`wanted`: code -> fields).
    `known` (code -> id, e.g. prefetched with the batch's lookups) spares the query."""
    known = known or {}
    found = {code: known[code] for code in wanted if code in known}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        found.update(Account.objects.filter(code__in=unknown).values_list("code", "id"))
    missing = [code for code in wanted if code not in found]
    if missing:
        Account.objects.bulk_create(
            [Account(code=code, **wanted[code]) for code in missing],
            ignore_conflicts=True,
            batch_size=BULK_BATCH,
        )
        found.update(Account.objects.filter(code__in=missing).values_list("code", "id"))
    return found


# --- validation ----------------------------------------------------------------------------


def _bad_terms_message(terms: Terms, ctx: OrgContext, exc: Exception) -> str:
    emc = ctx.emcs.get(terms.emc_id, {}).get("code", terms.emc_id)
    return _(
        "Contract v%(version)s of EMC %(emc)s cannot split this payment (%(error)s); "
        "approve a corrected contract version."
    ) % {"version": terms.version, "emc": emc, "error": exc}


def _node_ended_message(terms: Terms, ctx: OrgContext, me_code: str) -> str:
    emc = ctx.emcs.get(terms.emc_id, {}).get("code", terms.emc_id)
    return _(
        "Contract v%(version)s of EMC %(emc)s gives a node share to ME %(me)s, which is no longer "
        "active; approve a new contract version."
    ) % {"version": terms.version, "emc": emc, "me": me_code}


def _validate(
    specs: list[ValueEventSpec],
    actor,
    ctx_now,
    *,
    offset: int = 0,
    prior: dict[int, "_Plan"] | None = None,
    batch_refunds: dict | None = None,
) -> tuple[list[_Plan | None], dict, dict]:
    """Validate specs[0..n] (global indexes offset..offset+n). `prior` holds valid payments of
    earlier chunks that later refunds reference by `original_index`; `batch_refunds` carries
    what in-file refunds already took across chunks."""
    prior = prior if prior is not None else {}

    def batch_source(i: int, s: ValueEventSpec):
        """The in-file payment a refund at local index i references, as (spec, plan-or-None)."""
        index = s.original_index
        if index is None or index >= offset + i:
            return None, None
        if index >= offset:
            return specs[index - offset], "local"
        plan = prior.get(index)
        return (plan.spec, plan) if plan is not None else (None, None)

    errors: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def err(i, name, message):
        errors[i][name].append(str(message))

    # originals first: a refund inherits the ME, EMC, scenario, partners and contract
    original_ids = {s.original_id for s in specs if s.original_id}
    originals = {}
    original_partners = defaultdict(list)
    holdings = {}
    if original_ids:
        # lock the payments: concurrent refunds, and a reversal of the payment
        # (transaction_reverse locks the same key), serialize here: no over-refund, no refund of
        # a reversed payment. The lock comes first and alone: a statement that waited for the
        # lock still sees its own snapshot of other rows, so what the lock protects (refunds,
        # the reversal) is read by the statements after it. (An advisory lock per payment, not
        # FOR UPDATE, which needs an UPDATE privilege on value events: see ledger.locks.)
        locked_ids = sorted(original_ids)
        rows_lock(ValueEvent, locked_ids)
        originals = {
            e.pk: e
            for e in ValueEvent.objects.filter(pk__in=locked_ids).select_related("transaction__reversed_by")
        }
        for event_id, partner_id in ValueEventPartner.objects.filter(event_id__in=original_ids).values_list(
            "event_id", "partner_id"
        ):
            original_partners[event_id].append(partner_id)
        holdings = selectors.refund_holdings(original_ids=set(originals))

    for i, s in enumerate(specs):
        if s.kind != ValueEvent.Kind.REFUND:
            continue
        source = None
        if s.original_id:
            source = originals.get(s.original_id)
            if source is None:
                err(i, "original", _("No such value event."))
                continue
            if source.kind != ValueEvent.Kind.PAYMENT:
                err(i, "original", _("Only a payment can be refunded."))
                continue
            if hasattr(source.transaction, "reversed_by"):
                err(i, "original", _("This payment was reversed; it cannot be refunded."))
                continue
            fields = {
                "me_id": source.me_id,
                "emc_id": source.emc_id,
                "scenario_id": source.scenario_id,
                "solution_id": source.solution_id,
                "category_id": source.category_id,
                "currency": source.currency,
                "customized": source.customized,
            }
            partners = tuple(original_partners.get(source.pk, ()))
        elif batch_source(i, s)[0] is not None:
            src = batch_source(i, s)[0]
            if src.kind != ValueEvent.Kind.PAYMENT:
                err(i, "original", _("Only a payment can be refunded."))
                continue
            fields = {
                "me_id": src.me_id,
                "emc_id": src.emc_id,
                "scenario_id": src.scenario_id,
                "solution_id": src.solution_id,
                "category_id": src.category_id,
                "currency": src.currency,
                "customized": src.customized,
            }
            partners = tuple(src.partner_ids)
        else:
            err(i, "original", _("A refund must reference the payment it refunds."))
            continue
        for name in ("me_id", "emc_id"):
            given = getattr(s, name)
            if given and given != fields[name]:
                label = "me" if name == "me_id" else "emc"
                err(
                    i,
                    label,
                    _("The refund's %(f)s differs from the original payment's.") % {"f": label.upper()},
                )
        # compare BEFORE inheriting the payment's fields: a refund stated in another currency
        # is refused, never reinterpreted as minor units of the payment's currency
        if s.currency and s.currency != fields["currency"]:
            err(
                i,
                "currency",
                _("A refund is in the currency of its payment (%(currency)s).")
                % {"currency": fields["currency"]},
            )
        for name, value in fields.items():
            setattr(s, name, value)
        s.partner_ids = partners

    tz = timezone.get_current_timezone()
    days = {
        i: local_date(s.occurred_at, tz)
        for i, s in enumerate(specs)
        if isinstance(s.occurred_at, dt.datetime)
    }
    dates = list(days.values())
    ctx: OrgContext
    ctx, all_terms = posting_context_load(
        me_ids={s.me_id for s in specs},
        emc_ids={s.emc_id for s in specs},
        scenario_ids={s.scenario_id for s in specs},
        solution_ids={s.solution_id for s in specs},
        category_ids={s.category_id for s in specs},
        partner_ids={p for s in specs for p in s.partner_ids},
        terms_until=max(dates) if dates else None,
        currencies={s.currency for s in specs if isinstance(s.currency, str)},
    )

    plans: list[_Plan | None] = [None] * len(specs)
    # original key -> remaining holdings (mutated as refunds are planned)
    refunded_in_batch: dict[tuple, dict] = batch_refunds if batch_refunds is not None else {}
    for i, s in enumerate(specs):
        if i in errors:
            continue
        if s.kind not in EVENT_KINDS:
            err(i, "kind", _("Use payment or refund."))
            continue
        if not isinstance(s.amount_minor, int) or s.amount_minor <= 0:
            err(i, "amount", _("The amount must be more than zero."))
        if not currency_is_known(s.currency):
            err(i, "currency", _("Unknown currency “%(code)s”.") % {"code": s.currency})
        message = user_ref_error(s.user_ref)
        if message:
            err(i, "user_ref", message)
        message = occurred_at_error(s.occurred_at, now=ctx_now)
        if message:
            err(i, "occurred_at", message)
            continue
        on = days[i]
        me = ctx.mes.get(s.me_id)
        if me is None:
            err(i, "me", _("Choose a microenterprise."))
            continue
        if not ctx.may_log(actor, s.me_id):
            err(i, "me", _("You may log value only for microenterprises you lead."))
            continue
        if s.emc_id not in ctx.emcs:
            err(i, "emc", _("Choose an EMC."))
            continue
        if not ctx.emc_open_on(s.emc_id, on):
            err(i, "emc", _("The EMC was not active on %(day)s.") % {"day": on})
        elif not ctx.me_in_emc(s.emc_id, s.me_id, on):
            err(i, "emc", _("%(me)s was not a node of this EMC on %(day)s.") % {"me": me.code, "day": on})
        if s.kind == ValueEvent.Kind.PAYMENT:
            if (s.emc_id, s.scenario_id) not in ctx.emc_scenarios:
                err(i, "scenario", _("This EMC does not serve that scenario."))
            if s.solution_id and ctx.solutions.get(s.solution_id) != s.scenario_id:
                err(i, "solution", _("This solution does not belong to the scenario."))
            if s.category_id not in ctx.categories:
                err(i, "category", _("Choose a category."))
            if len(set(s.partner_ids)) != len(s.partner_ids):
                err(i, "partners", _("A partner is listed twice."))
        if i in errors:
            continue

        if s.kind == ValueEvent.Kind.PAYMENT:
            terms: Terms | None = terms_in_force(all_terms.get(s.emc_id), on)
            if terms is None:
                err(i, "emc", _("No approved contract of this EMC is in force on %(day)s.") % {"day": on})
                continue
            if terms.currency != s.currency:
                err(
                    i,
                    "currency",
                    _("The contract in force is in %(contract)s, not %(given)s (no conversion).")
                    % {"contract": terms.currency, "given": s.currency},
                )
            if ctx.ended_mes:  # a node ME of the contract was split, merged or dissolved
                for node_me_id, _pct in terms.node_pcts:
                    ended_code = ctx.me_ended_by(node_me_id, on)
                    if ended_code is not None:
                        err(i, "emc", _node_ended_message(terms, ctx, ended_code))
            for partner_id in s.partner_ids:
                name = ctx.partners.get(partner_id, {}).get("name", partner_id)
                if not ctx.partner_creditable(s.emc_id, partner_id, on):
                    err(
                        i,
                        "partners",
                        _("%(p)s was not active in this EMC on %(day)s.") % {"p": name, "day": on},
                    )
                elif partner_id not in terms.partner_pcts:
                    err(i, "partners", _("%(p)s has no share in the contract in force.") % {"p": name})
            if i in errors:
                continue
            try:
                # allocation.split_payment, with the terms prepared once per contract
                parts = terms.splitter.split(s.amount_minor, s.partner_ids)
            except ValueError as exc:  # terms the split cannot apply: a clear error, never a 500
                err(i, "emc", _bad_terms_message(terms, ctx, exc))
                continue
            plans[i] = _Plan(s, on, terms.contract_id, parts, tuple(sorted(s.partner_ids)))
        else:
            if s.original_id:
                key = ("db", s.original_id)
                source = originals[s.original_id]
                if key not in refunded_in_batch:
                    refunded_in_batch[key] = dict(holdings.get(source.pk, {}))
                contract_id = source.transaction.contract_id
                original_on = source.occurred_at
            else:
                key = ("batch", s.original_index)
                _src, where = batch_source(i, s)
                src_plan = plans[s.original_index - offset] if where == "local" else where
                if src_plan is None:
                    err(i, "original", _("The refunded payment in this batch is not valid."))
                    continue
                if key not in refunded_in_batch:
                    refunded_in_batch[key] = {p.target: p.amount_minor for p in src_plan.parts}
                contract_id = src_plan.contract_id
                original_on = src_plan.spec.occurred_at
            if s.occurred_at < original_on:
                err(i, "occurred_at", _("A refund cannot come before its payment."))
                continue
            held = refunded_in_batch[key]
            debit = [t for t, amount in held.items() if amount > 0]
            credits = [(t, -amount, "") for t, amount in held.items() if amount < 0]
            clearing_left = sum(held[t] for t in debit)
            if s.amount_minor > clearing_left:
                err(
                    i,
                    "amount",
                    _("The refund exceeds what remains of the payment (%(left)s minor units).")
                    % {"left": clearing_left},
                )
                continue
            try:
                parts = allocation.split_refund(
                    refund_minor=s.amount_minor, debit_target=debit[0], remaining=sorted(credits)
                )
            except ValueError as exc:  # holdings the split cannot reverse
                err(i, "emc", _("The payment's split cannot be reversed (%(error)s).") % {"error": exc})
                continue
            for part in parts:
                held[part.target] += part.amount_minor
            plans[i] = _Plan(s, on, contract_id, parts, tuple(sorted(s.partner_ids)))
    return plans, {i: dict(f) for i, f in errors.items()}, ctx


def validate_chunk(specs, actor, now, *, offset=0, prior=None, batch_refunds=None, keep_db=False):
    """Validate one chunk of a larger batch (the CSV import): see `_validate`. Refund state of
    stored payments is carried across chunks only when nothing is written (`keep_db`); when
    earlier chunks were written, the database already holds it."""
    if batch_refunds is not None and not keep_db:
        for key in [k for k in batch_refunds if k[0] == "db"]:
            del batch_refunds[key]
    return _validate(specs, actor, now, offset=offset, prior=prior, batch_refunds=batch_refunds)


def write_chunk(plans, ctx, *, actor, source, now, offset=0, posted=None) -> list[int]:
    """Write one validated chunk (see `_write`); returns the new events' ids."""
    return _write(
        plans, ctx, actor=actor, source=source, now=now, offset=offset, posted=posted, objects=False
    )


def value_events_validate(*, specs: list[ValueEventSpec], actor) -> dict[int, dict[str, list[str]]]:
    """Validate a batch without writing; returns {index: {field: [messages]}} (empty if valid)."""
    with transaction.atomic():
        _plans, errors, _ctx = _validate(specs, actor, timezone.now())
    return errors


# --- writing -------------------------------------------------------------------------------


def _target_codes(plans: list[_Plan], ctx: OrgContext) -> dict:
    codes = {("me", pk): me.code for pk, me in ctx.mes.items()}
    codes.update({("emc_holdback", pk): e["code"] for pk, e in ctx.emcs.items()})
    codes.update({("partner", pk): p["code"] for pk, p in ctx.partners.items()})
    # node MEs of the contract need not be the MEs that logged: load the missing codes at once
    missing = {
        p.target[1]
        for plan in plans
        for p in plan.parts
        if isinstance(p.target, tuple) and p.target[0] == "me"
    }
    missing -= set(ctx.mes)
    codes.update({("me", pk): code for pk, code in ctx.other_me_codes.items()})
    missing -= set(ctx.other_me_codes)
    if missing:
        codes.update(
            {
                ("me", pk): code
                for pk, code in Microenterprise.objects.filter(pk__in=missing).values_list("id", "code")
            }
        )
    return codes


def accountday_upsert(rows: dict[tuple[int, dt.date, int], list[int]]) -> None:
    """Add pre-aggregated (account, day, slot) -> [net, debit, credit, legs] to the daily rollup
    (SQLite; on PostgreSQL the trigger ledger_leg_rollup does the same upsert, see legs_write)."""
    table = AccountDay._meta.db_table
    items = sorted(rows.items())  # one lock order for every posting: no deadlocks between them
    with connection.cursor() as cursor:
        for start in range(0, len(items), UPSERT_BATCH):
            chunk = items[start : start + UPSERT_BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = [v for key, agg in chunk for v in (*key, *agg)]
            cursor.execute(
                f"INSERT INTO {table} (account_id, day, slot, net_minor, debit_minor, credit_minor, legs) "
                f"VALUES {values} ON CONFLICT (account_id, day, slot) DO UPDATE SET "
                f"net_minor = {table}.net_minor + excluded.net_minor, "
                f"debit_minor = {table}.debit_minor + excluded.debit_minor, "
                f"credit_minor = {table}.credit_minor + excluded.credit_minor, "
                f"legs = {table}.legs + excluded.legs",
                params,
            )


# one encoder for every leg (json.dumps with options builds a new encoder per call)
_json_encode = json.JSONEncoder(separators=(",", ":")).encode


class _JsonTexts(dict):
    """Basis keys and string values (rates, rules) -> their JSON text, made once."""

    def __missing__(self, value: str) -> str:
        text = encode_basestring_ascii(value)  # what _json_encode does with a string
        if len(self) < 4096:
            self[value] = text
        return text


_json_text = _JsonTexts()


def basis_json(basis: dict) -> str:
    """`basis` as compact JSON, the same text `_json_encode` makes. Every basis is a flat dict
    of string keys and int or string values: those are written here (~3x faster, it counts at
    ~8 legs per event); anything else goes to the json encoder."""
    items = []
    for key, value in basis.items():
        kind = type(value)
        if type(key) is not str or (kind is not int and kind is not str):  # bool is not int here
            return _json_encode(basis)
        items.append(f"{_json_text[key]}:{value if kind is int else _json_text[value]}")
    return "{" + ",".join(items) + "}"


LEG_COLUMNS = [
    "transaction_id",
    "account_id",
    "currency",
    "amount_minor",
    "effective_on",
    "rule",
    "contract_id",
    "basis",
]


@dataclass(slots=True)
class LegRow:
    """A leg to insert (plain data: no ORM instance per leg)."""

    transaction_id: int
    account_id: int
    currency: str
    amount_minor: int
    effective_on: dt.date
    rule: str
    contract_id: int | None
    basis: dict


COPY_NULL = "\\N"  # NULL in COPY's text format


def _copy_field(value: str) -> str:
    """Escape a text value for COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


class _CopyTexts(dict):
    """value -> its COPY text, made once per value: None -> \\N, a date -> ISO 8601, anything
    else its escaped str (a batch has a few currencies, rules, days and contracts)."""

    def __missing__(self, value) -> str:
        if value is None:
            text = COPY_NULL
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = _copy_field(str(value))
        self[value] = text
        return text


def _leg_lines(legs: list[LegRow]):
    """COPY text lines of legs. Every value is a number, a date, a code constant (currency,
    rule) or JSON made by us, escaped all the same."""
    texts = _CopyTexts()
    for leg in legs:
        yield (
            f"{leg.transaction_id}\t{leg.account_id}\t{texts[leg.currency]}\t{leg.amount_minor}\t"
            f"{texts[leg.effective_on]}\t{texts[leg.rule]}\t{texts[leg.contract_id]}\t"
            f"{_copy_field(basis_json(leg.basis))}\n"
        )


def legs_write(legs: list[LegRow]) -> None:
    """Insert legs; their daily rollups follow in the same DB transaction (the one way legs
    are written, and the one place that decides who writes the rollups).

    On PostgreSQL the database adds the rollups itself from every INSERT/COPY of legs, as the
    owner role (trigger `ledger_leg_rollup`, ledger/sql/leg_rollup.v1.sql): the application
    role may not write them. SQLite has no such trigger: the rollups are added here."""
    if bulk.is_postgres():
        if len(legs) >= bulk.COPY_MIN_ROWS:
            # large batches (imports): COPY text lines, streamed (formatted while PostgreSQL reads)
            bulk.copy_text(Leg._meta.db_table, LEG_COLUMNS, _leg_lines(legs))
        else:
            _legs_insert(legs)
        return
    _legs_insert(legs)
    _rollup_add(legs)


def _legs_insert(legs: list[LegRow]) -> None:
    bulk.insert_rows(
        Leg._meta.db_table,
        LEG_COLUMNS,
        [
            (
                leg.transaction_id,
                leg.account_id,
                leg.currency,
                leg.amount_minor,
                leg.effective_on,
                leg.rule,
                leg.contract_id,
                basis_json(leg.basis),
            )
            for leg in legs
        ],
    )


def _rollup_add(legs: list[LegRow]) -> None:
    rollup: dict[tuple[int, dt.date, int], list[int]] = {}
    for leg in legs:
        key = (leg.account_id, leg.effective_on, leg.transaction_id % ROLLUP_SLOTS)
        agg = rollup.get(key)
        if agg is None:
            agg = rollup[key] = [0, 0, 0, 0]
        amount = leg.amount_minor
        agg[0] += amount
        if amount > 0:
            agg[1] += amount
        else:
            agg[2] -= amount
        agg[3] += 1
    accountday_upsert(rollup)


def check_balanced(legs_by_txn: dict) -> None:
    """The Python twin of the database trigger: >= 2 nonzero legs summing to zero per currency."""
    for key, legs in legs_by_txn.items():
        sums = defaultdict(int)
        for leg in legs:
            if leg.amount_minor == 0:
                raise ValidationError(_("Transaction %(t)s has a zero leg.") % {"t": key})
            sums[leg.currency] += leg.amount_minor
        if len(legs) < 2 or any(sums.values()):
            raise ValidationError(_("Transaction %(t)s does not balance.") % {"t": key})


TXN_FIELDS = ["kind", "effective_on", "recorded_at", "recorded_by_id", "memo", "contract_id", "reverses_id"]
EVENT_FIELDS = [
    "kind",
    "me_id",
    "emc_id",
    "scenario_id",
    "solution_id",
    "category_id",
    "user_ref",
    "amount_minor",
    "currency",
    "occurred_at",
    "occurred_on",
    "customized",
    "original_id",
    "transaction_id",
    "note",
    "logged_by_id",
    "logged_at",
    "source",
    "import_batch_id",
    "idempotency_key",
]


def _insert_returning_ids(model, fields: list[str], rows: list[tuple]) -> list[int]:
    """Insert plain tuples and return their ids: INSERT ... RETURNING / COPY on PostgreSQL
    (no model instance per row), bulk_create elsewhere (SQLite: Django converts the values)."""
    if not rows:
        return []
    if bulk.is_postgres():
        return bulk.insert_returning_ids(model._meta.db_table, fields, rows)
    objs = model.objects.bulk_create(
        [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=BULK_BATCH
    )
    return [obj.pk for obj in objs]


def _instance(model, pk: int, fields: list[str], row: tuple):
    """A saved-looking model instance from a written row (no query)."""
    obj = model(id=pk, **dict(zip(fields, row, strict=True)))
    obj._state.adding = False
    obj._state.db = "default"
    return obj


def _write(
    plans: list[_Plan],
    ctx: OrgContext,
    *,
    actor,
    source: str,
    now,
    offset: int = 0,
    posted: dict | None = None,
    objects: bool = True,
) -> list:
    """Write valid plans; `posted` maps global indexes of earlier chunks' events to their ids.
    Returns the ValueEvent instances (with `.transaction`), or only their ids when not
    `objects` (the CSV import: no model instance on its hot path)."""
    posted = posted or {}
    codes = _target_codes(plans, ctx)
    wanted: dict[str, dict] = {}
    target_code: dict[tuple, str] = {}
    for plan in plans:
        for part in plan.parts:
            if isinstance(part.target, int):  # refunds address stored accounts directly
                continue
            key = (part.target, plan.spec.currency)
            if key not in target_code:
                code, fields = account_code(part.target, plan.spec.currency, codes)
                target_code[key] = code
                wanted[code] = {**fields, "currency": plan.spec.currency}
    account_ids = accounts_get_or_create(wanted=wanted, known=ctx.accounts) if wanted else {}
    account_of = {key: account_ids[code] for key, code in target_code.items()}

    recorded_by_id = actor.pk if actor is not None and actor.is_authenticated else None
    txn_rows = [
        (plan.spec.kind, plan.occurred_on, now, recorded_by_id, plan.spec.note[:255], plan.contract_id, None)
        for plan in plans
    ]
    txn_ids = _insert_returning_ids(Transaction, TXN_FIELDS, txn_rows)
    legs = []
    legs_by_txn = {}
    for plan, txn_id in zip(plans, txn_ids, strict=True):
        currency = plan.spec.currency
        on = plan.occurred_on
        contract_id = plan.contract_id
        txn_legs = [
            LegRow(
                txn_id,
                part.target if isinstance(part.target, int) else account_of[(part.target, currency)],
                currency,
                part.amount_minor,
                on,
                part.rule,
                contract_id,
                part.basis,
            )
            for part in plan.parts
        ]
        legs_by_txn[txn_id] = txn_legs
        legs.extend(txn_legs)
    check_balanced(legs_by_txn)

    def event_row(plan, txn_id, original_id):
        s = plan.spec
        return (
            s.kind,
            s.me_id,
            s.emc_id,
            s.scenario_id,
            s.solution_id,
            s.category_id,
            s.user_ref,
            s.amount_minor,
            s.currency,
            s.occurred_at,
            plan.occurred_on,
            s.customized,
            original_id,
            txn_id,
            s.note[:255],
            recorded_by_id,
            now,
            source,
            s.import_batch_id,
            s.idempotency_key,
        )

    # payments and refunds of stored payments first; refunds of payments in this batch after
    event_ids: list[int | None] = [None] * len(plans)
    event_rows: list[tuple | None] = [None] * len(plans)

    def _original_pk(index: int) -> int:
        return event_ids[index - offset] if index >= offset else posted[index]

    for group in (
        [i for i, p in enumerate(plans) if p.spec.original_index is None],
        [i for i, p in enumerate(plans) if p.spec.original_index is not None],
    ):
        if not group:
            continue
        rows = [
            event_row(
                plans[i],
                txn_ids[i],
                plans[i].spec.original_id
                if plans[i].spec.original_index is None
                else _original_pk(plans[i].spec.original_index),
            )
            for i in group
        ]
        for i, pk, row in zip(
            group, _insert_returning_ids(ValueEvent, EVENT_FIELDS, rows), rows, strict=True
        ):
            event_ids[i] = pk
            event_rows[i] = row
    links = [
        (event_id, partner_id)
        for plan, event_id in zip(plans, event_ids, strict=True)
        for partner_id in plan.partner_ids
    ]
    if links:
        bulk.insert_rows(ValueEventPartner._meta.db_table, ["event_id", "partner_id"], links)
    legs_write(legs)
    if not objects:
        return event_ids
    events = []
    for event_id, row, txn_id, txn_row in zip(event_ids, event_rows, txn_ids, txn_rows, strict=True):
        event = _instance(ValueEvent, event_id, EVENT_FIELDS, row)
        event.transaction = _instance(Transaction, txn_id, TXN_FIELDS, txn_row)
        events.append(event)
    return events


def value_events_post(
    *, specs: list[ValueEventSpec], actor, source: str = Source.API, now: dt.datetime | None = None
) -> list[ValueEvent]:
    """Validate the whole batch and post it, or raise and write nothing.

    A single spec raises a field-level ValidationError ({"amount": [...]}); a batch raises
    BatchValidationError whose `row_errors` maps each bad spec's index to its field errors.
    """
    now = now or timezone.now()
    with transaction.atomic():
        plans, errors, ctx = _validate(specs, actor, now)
        if errors:
            if len(specs) == 1:
                raise ValidationError(errors[0])
            raise BatchValidationError(errors)
        return _write(plans, ctx, actor=actor, source=source, now=now)
