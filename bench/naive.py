"""Baselines and floors for the benchmarks: the same rows written the obvious slow way, or with
raw SQL and no checks at all. Nothing here is used by the application."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from ledger.allocation import split_payment
from ledger.context import local_date
from ledger.models import (
    ROLLUP_SLOTS,
    Account,
    Contract,
    Leg,
    Transaction,
    ValueEvent,
    ValueEventPartner,
)
from ledger.money import to_minor

_KIND = {
    "clearing": "clearing",
    "platform": "platform",
    "partner": "partner",
    "emc_holdback": "emc_holdback",
    "me": "me",
}
_OWNER = {"partner": "partner_id", "emc_holdback": "emc_id", "me": "me_id"}


def _account(target, currency) -> Account:
    kind, owner = target
    filters = {"kind": _KIND[kind], "currency": currency}
    if kind in _OWNER:
        filters[_OWNER[kind]] = owner
    return Account.objects.get(**filters)


def _parts(world, kw):
    contract = (
        Contract.objects.filter(
            emc=kw["emc"], status="approved", effective_from__lte=local_date(kw["occurred_at"])
        )
        .order_by("-effective_from", "-version")
        .first()
    )
    partner_pcts = dict(contract.partner_shares.values_list("partner_id", "share_pct"))
    node_pcts = list(contract.node_shares.values_list("me_id", "share_pct"))
    amount_minor = to_minor(kw["amount"], kw["currency"])
    parts = split_payment(
        amount_minor=amount_minor,
        fee_pct=contract.platform_fee_pct,
        partner_pcts=[(p.pk, partner_pcts[p.pk]) for p in kw["partners"]],
        holdback_pct=contract.holdback_pct,
        node_pcts=node_pcts,
        emc_id=kw["emc"].pk,
    )
    return contract, amount_minor, parts


@transaction.atomic
def naive_post(world, kw) -> None:
    """One event the obvious way: a query per lookup and a save per row (each leg's INSERT
    adding its rollup through the database's trigger, as every posting does)."""
    contract, amount_minor, parts = _parts(world, kw)
    day = local_date(kw["occurred_at"])
    txn = Transaction.objects.create(
        kind="payment", effective_on=day, contract=contract, recorded_by=world.leader
    )
    for part in parts:
        account = _account(part.target, kw["currency"])
        # (its daily rollup is added by the database: trigger ledger_leg_rollup, one per INSERT)
        Leg.objects.create(
            transaction=txn,
            account=account,
            currency=kw["currency"],
            amount_minor=part.amount_minor,
            effective_on=day,
            rule=part.rule,
            contract=contract,
            basis=part.basis,
        )
    event = ValueEvent.objects.create(
        kind="payment",
        me=kw["me"],
        emc=kw["emc"],
        scenario=kw["scenario"],
        solution=kw["solution"],
        category=kw["category"],
        user_ref=kw["user_ref"],
        amount_minor=amount_minor,
        currency=kw["currency"],
        occurred_at=kw["occurred_at"],
        occurred_on=day,
        customized=kw["customized"],
        transaction=txn,
        logged_by=world.leader,
        source="api",
    )
    for p in kw["partners"]:
        ValueEventPartner.objects.create(event=event, partner=p)


def raw_sql_post(world, kws) -> None:
    """The floor: the same transaction, leg and event rows with plain INSERTs, one posting per
    DB transaction, no validation and no lookups (accounts resolved up front); the database adds
    the rollups from the leg inserts, as for every posting."""
    accounts = {}
    for acc in Account.objects.filter(currency="CNY"):
        owner = acc.partner_id or acc.emc_id or acc.me_id
        accounts[(acc.kind, owner)] = acc.pk
    contract, _, _ = _parts(world, kws[0])
    now = timezone.now()
    with connection.cursor() as cur:
        for kw in kws:
            amount_minor, parts = _split_cached(world, contract, kw)
            day = local_date(kw["occurred_at"])
            with transaction.atomic():
                cur.execute(
                    "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, recorded_by_id, memo, contract_id)"
                    " VALUES ('payment', %s, %s, %s, '', %s) RETURNING id",
                    [day, now, world.leader.pk, contract.pk],
                )
                txn_id = cur.fetchone()[0]
                rows = []
                for part in parts:
                    kind, owner = part.target
                    rows.append(
                        (
                            txn_id,
                            accounts[(kind, owner)],
                            "CNY",
                            part.amount_minor,
                            day,
                            part.rule,
                            contract.pk,
                        )
                    )
                cur.executemany(
                    "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule,"
                    " contract_id, basis) VALUES (%s, %s, %s, %s, %s, %s, %s, '{}')",
                    rows,
                )
                cur.execute(
                    "INSERT INTO ledger_valueevent (kind, me_id, emc_id, scenario_id, solution_id, category_id, user_ref,"
                    " amount_minor, currency, occurred_at, occurred_on, customized, transaction_id, note, logged_by_id,"
                    " logged_at, source) VALUES ('payment', %s, %s, %s, %s, %s, %s, %s, 'CNY', %s, %s, %s, %s, '', %s, %s,"
                    " 'api')",
                    [
                        kw["me"].pk,
                        kw["emc"].pk,
                        kw["scenario"].pk,
                        kw["solution"].pk,
                        kw["category"].pk,
                        kw["user_ref"],
                        amount_minor,
                        kw["occurred_at"],
                        day,
                        kw["customized"],
                        txn_id,
                        world.leader.pk,
                        now,
                    ],
                )


_TERMS = {}


def _split_cached(world, contract, kw):
    if contract.pk not in _TERMS:
        _TERMS[contract.pk] = (
            dict(contract.partner_shares.values_list("partner_id", "share_pct")),
            list(contract.node_shares.values_list("me_id", "share_pct")),
        )
    partner_pcts, node_pcts = _TERMS[contract.pk]
    amount_minor = to_minor(kw["amount"], kw["currency"])
    parts = split_payment(
        amount_minor=amount_minor,
        fee_pct=contract.platform_fee_pct,
        partner_pcts=[(p.pk, partner_pcts[p.pk]) for p in kw["partners"]],
        holdback_pct=contract.holdback_pct,
        node_pcts=node_pcts,
        emc_id=kw["emc"].pk,
    )
    return amount_minor, parts


def bulk_load_legs(world, legs: int, days: int = 1000) -> tuple[int, dt.date, int]:
    """Give one ME account `legs` legs spread over `days` days, balanced against clearing.

    Loaded in one SQL statement per table with triggers off for the load
    (session_replication_role = replica, superuser only: the bench connects as the owner, not
    as the application role): this is fixture data, not a figure. The rollups are then built
    from the legs with one INSERT ... SELECT ... GROUP BY (the rollup trigger is off too).
    """
    target = Account.objects.create(
        code="bench:balance-target", kind="me", me=world.nodes[0], currency="CNY", name="bench target"
    )
    other = Account.objects.get(kind="clearing", currency="CNY")
    first_day = dt.date(2024, 1, 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_transaction")
        base = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO ledger_transaction (id, kind, effective_on, recorded_at, memo)"
            " SELECT %s + g, 'adjustment', %s::date + (g %% %s), now(), 'bench' FROM generate_series(1, %s) g",
            [base, first_day, days, legs],
        )
        cur.execute(
            "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis)"
            " SELECT t.id, a.account_id, 'CNY', a.sign * (1 + (t.id * 7919) %% 100000), t.effective_on, 'bench', '{}'"
            " FROM ledger_transaction t CROSS JOIN (VALUES (%s, -1), (%s, 1)) AS a(account_id, sign)"
            " WHERE t.id > %s",
            [target.pk, other.pk, base],
        )
        cur.execute(
            "INSERT INTO ledger_accountday (account_id, day, slot, net_minor, debit_minor, credit_minor, legs)"
            " SELECT account_id, effective_on, transaction_id %% %s, SUM(amount_minor), SUM(GREATEST(amount_minor, 0)),"
            " SUM(GREATEST(-amount_minor, 0)), COUNT(*) FROM ledger_leg WHERE transaction_id > %s"
            " GROUP BY account_id, effective_on, transaction_id %% %s"
            " ON CONFLICT (account_id, day, slot) DO UPDATE SET net_minor = ledger_accountday.net_minor + EXCLUDED.net_minor,"
            " debit_minor = ledger_accountday.debit_minor + EXCLUDED.debit_minor,"
            " credit_minor = ledger_accountday.credit_minor + EXCLUDED.credit_minor,"
            " legs = ledger_accountday.legs + EXCLUDED.legs",
            [ROLLUP_SLOTS, base, ROLLUP_SLOTS],
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('ledger_transaction', 'id'), %s)", [base + legs])
    with connection.cursor() as cur:
        cur.execute("ANALYZE ledger_leg; ANALYZE ledger_accountday")
    return target.pk, first_day, days


def naive_balance(account_id: int, as_of: dt.date) -> int:
    """The baseline: sum every leg of the account up to the date."""
    total = Leg.objects.filter(account_id=account_id, effective_on__lte=as_of).aggregate(
        s=Sum("amount_minor")
    )["s"]
    return total or 0
