"""The synthetic ecosystem at `small` scale: the same seed draws the same data, what is
written is valid by the application's own rules and checks, and a night adds on top."""

import datetime as dt
import os
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from importlib import import_module
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from ledger.models import (
    Contract,
    ContractNodeShare,
    ContractPartnerShare,
    Transaction,
    UserSignal,
    ValueEvent,
)
from ledger.selectors import ledger_check_rollups, ledger_totals_by_currency
from orgs import lifecycle
from orgs.models import (
    EMC,
    AuditEntry,
    EMCNode,
    EMCParticipation,
    Industry,
    Membership,
    Microenterprise,
    Partner,
    PartnerTransition,
)
from synth import services
from synth.history import HistoryGenerator, Ids
from synth.models import GeneratedHistory
from synth.organization import ids_load
from synth.plan import build_plan
from synth.scales import SCALES
from tests.conftest import ROOT, _test_database_url

EVENTS = 600
LAST_DAY = timezone.localdate() - dt.timedelta(days=2)
ISIC = ["0111", "1079", "2651", "2750", "4923", "6201", "6311", "9601"]


def _draw(seed: int, events: int = EVENTS):
    plan = build_plan(scale=SCALES["small"], seed=seed, last_day=LAST_DAY, isic_classes=ISIC)
    fake = Ids(
        mes=list(range(1, len(plan.mes) + 1)),
        emcs=list(range(1, len(plan.emcs) + 1)),
        scenarios=list(range(1, len(plan.scenarios) + 1)),
        solutions=list(range(1, len(plan.solutions) + 1)),
        categories=list(range(1, len(plan.categories) + 1)),
        partners=list(range(1, len(plan.partners) + 1)),
    )
    generator = HistoryGenerator(plan, fake, tz=dt.UTC)
    return plan, list(generator.history_batches(events, seed=seed))


def test_the_same_seed_draws_the_same_ecosystem_and_history():
    plan_a, batches_a = _draw(7)
    plan_b, batches_b = _draw(7)
    assert plan_a == plan_b
    assert [(b.now, b.payments, b.refunds, b.signals, b.exits) for b in batches_a] == [
        (b.now, b.payments, b.refunds, b.signals, b.exits) for b in batches_b
    ]
    _plan_c, batches_c = _draw(8)
    assert [b.payments for b in batches_c] != [b.payments for b in batches_a]


def test_a_history_is_a_year_recorded_day_by_day_with_festivals_and_growth():
    plan, batches = _draw(3, events=20_000)
    assert plan.days == 365 and batches[-1].day == LAST_DAY
    assert len({b.day for b in batches}) >= 360  # logged every day, not in one burst
    per_day = Counter()
    for b in batches:
        assert all(p.occurred_at <= b.now for p in b.payments)  # nothing is logged before it happens
        assert all(s.occurred_at <= b.now for s in b.signals)
        for p in b.payments:
            per_day[p.occurred_at.date()] += 1
    late = sum(1 for b in batches for p in b.payments if p.occurred_at.date() != b.day)
    assert 0.01 < late / sum(per_day.values()) < 0.1  # a few events are logged a day or three late
    days = sorted(per_day)
    first_month = sum(per_day[d] for d in days[:30]) / 30
    last_month = sum(per_day[d] for d in days[-60:-30]) / 30
    assert last_month > first_month * 1.15  # the ecosystem grows over the year
    singles_day = next(d for d in days if (d.month, d.day) == (11, 11))
    assert per_day[singles_day] > 2.5 * sum(per_day.values()) / len(days)


@pytest.fixture
def history(db):
    return services.history_generate(scale="small", events=EVENTS, seed=5)


def test_a_small_history_is_valid_by_the_applications_rules(history):
    """One history checked four ways (a year takes a few seconds to write)."""
    _organization_follows_the_services_rules()
    _ledger_checks_and_posting_rules_hold(history)
    _users_come_back_and_lifelong_users_show_all_four_signals()
    _some_emcs_beat_their_monthly_target_and_some_miss_it(history)


def _organization_follows_the_services_rules():
    small = SCALES["small"]
    assert Microenterprise.objects.filter(code__startswith="me-").count() == small.mes
    assert Membership.objects.filter(me__code__startswith="me-").count() == small.members
    assert EMC.objects.filter(code__startswith="emc-").count() == small.emcs
    assert Partner.objects.filter(code__startswith="ptn-").count() == small.partners
    for total in Membership.objects.values("me").annotate(w=Sum("weight")).values_list("w", flat=True):
        assert total == Decimal(100)
    for total in EMCNode.objects.values("emc").annotate(w=Sum("share_weight")).values_list("w", flat=True):
        assert total == Decimal(100)
    for contract in Contract.objects.all():
        assert contract.status == Contract.Status.APPROVED
        nodes = ContractNodeShare.objects.filter(contract=contract).aggregate(s=Sum("share_pct"))["s"]
        assert nodes == Decimal(100)
    # every partner's timeline is a legal walk through the lifecycle, ending in its state
    steps = defaultdict(list)
    for t in PartnerTransition.objects.filter(kind="state").order_by("effective_on", "id"):
        steps[t.partner_id].append(t)
    for partner in Partner.objects.all():
        walk = steps[partner.pk]
        assert walk[0].to_value == "applied"
        for before, after in pairwise(walk):
            assert lifecycle.is_allowed(before.to_value, after.to_value), (partner.code, before, after)
        assert walk[-1].to_value == partner.state
    assert Partner.objects.filter(state="phased_out").exists()
    assert not EMCParticipation.objects.filter(partner__state="phased_out", ended_on__isnull=True).exists()
    # every change left an audit row, as the services write them
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"me.create", "emc.create", "partner.create", "partner.admit", "emc.partner_join"} <= actions
    assert {"partner.phase_out", "ledger.contract_approve"} <= actions
    assert Industry.objects.filter(partners__isnull=False).exists()


def _ledger_checks_and_posting_rules_hold(history):
    assert ledger_check_rollups() == []
    assert set(ledger_totals_by_currency().values()) == {0}
    events = ValueEvent.objects.select_related("transaction").prefetch_related("partners")
    payments = [e for e in events if e.kind == "payment"]
    assert len(events) == history.stats["history"]["payments"] + history.stats["history"]["refunds"]
    assert abs(len(events) - EVENTS) < EVENTS * 0.05
    seats = defaultdict(list)
    for emc_id, me_id, joined, left in EMCNode.objects.values_list("emc_id", "me_id", "joined_on", "left_on"):
        seats[(emc_id, me_id)].append((joined, left))
    spans = defaultdict(list)
    for emc_id, partner_id, start, end in EMCParticipation.objects.values_list(
        "emc_id", "partner_id", "started_on", "ended_on"
    ):
        spans[(emc_id, partner_id)].append((start, end))
    shares = set(ContractPartnerShare.objects.values_list("contract_id", "partner_id"))
    currencies = dict(Contract.objects.values_list("id", "currency"))
    for e in payments:
        on = e.occurred_on
        assert any(j <= on and (left is None or on < left) for j, left in seats[(e.emc_id, e.me_id)])
        assert currencies[e.transaction.contract_id] == e.currency
        assert e.transaction.recorded_at >= e.occurred_at
        for p in e.partners.all():
            assert (e.transaction.contract_id, p.pk) in shares
            assert any(s <= on and (end is None or on < end) for s, end in spans[(e.emc_id, p.pk)])
    refunds = [e for e in events if e.kind == "refund"]
    assert refunds
    by_id = {e.pk: e for e in payments}
    for r in refunds:
        original = by_id[r.original_id]
        assert r.amount_minor <= original.amount_minor and r.occurred_at > original.occurred_at
    # recorded day by day at the postings' own moments, not all at once
    assert Transaction.objects.values("recorded_at").distinct().count() >= 300


def _users_come_back_and_lifelong_users_show_all_four_signals():
    buys = Counter(ValueEvent.objects.filter(kind="payment").values_list("user_ref", flat=True))
    assert sum(1 for n in buys.values() if n > 1) / len(buys) > 0.1
    kinds = defaultdict(set)
    above = defaultdict(int)
    for ref, kind, rating, expectation in UserSignal.objects.values_list(
        "user_ref", "kind", "rating", "expectation"
    ):
        kinds[ref].add(kind)
        if kind == "rating" and rating > expectation:
            above[ref] += 1
    assert set(UserSignal.Kind.values) <= set().union(*kinds.values())
    assert UserSignal.objects.filter(kind="rating").count() > 50
    assert any(len(k) >= 3 and above[ref] for ref, k in kinds.items())


def _some_emcs_beat_their_monthly_target_and_some_miss_it(history):
    from ledger.selectors import period_bounds, user_paid_value

    month = history.last_day.replace(day=1) - dt.timedelta(days=1)
    start, end = period_bounds("month", month)
    beat = missed = 0
    for emc in EMC.objects.filter(code__startswith="emc-"):
        contract = (
            Contract.objects.filter(emc=emc, effective_from__lte=start).order_by("-effective_from").first()
        )
        if contract is None:
            continue
        value = user_paid_value(emc_ids=[emc.pk], start=start, end=end, currency=contract.currency)
        if value >= contract.target_minor:
            beat += 1
        else:
            missed += 1
    assert beat and missed


def test_a_night_adds_one_more_day_on_top_and_the_command_refuses_a_second_history(history, capsys):
    before = ValueEvent.objects.count()
    night = services.night_add(events=120)
    day = dt.date.fromisoformat(night["day"])
    assert day == LAST_DAY + dt.timedelta(days=1)
    on_day = ValueEvent.objects.filter(transaction__recorded_at__date=day)
    assert on_day.count() == 120 == ValueEvent.objects.count() - before
    assert on_day.filter(kind="refund").exists()
    assert ledger_check_rollups() == [] and set(ledger_totals_by_currency().values()) == {0}
    record = GeneratedHistory.objects.get()
    assert record.last_day == day and len(record.nights) == 1
    call_command("ecosystem_generate", "--night", "--events", "50", "--no-progress")
    assert "night of" in capsys.readouterr().out
    assert GeneratedHistory.objects.get().last_day == day + dt.timedelta(days=1)
    with pytest.raises(CommandError, match="already holds a history"):
        call_command("ecosystem_generate", "--scale", "small", "--no-progress")


def _fingerprint():
    rows = ValueEvent.objects.values_list(
        "kind",
        "me__code",
        "emc__code",
        "user_ref",
        "amount_minor",
        "currency",
        "occurred_at",
        "transaction__recorded_at",
    )
    links = Counter(  # a refund carries its payment's partners too: count the payments'
        ValueEvent.partners.through.objects.filter(event__kind="payment").values_list(
            "event__user_ref", "partner__code"
        )
    )
    signals = UserSignal.objects.values_list("kind", "user_ref", "rating", "occurred_at", "logged_at")
    return sorted(rows), links, sorted(signals, key=str)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_posting_workers_write_the_same_rows_as_one_process():
    # an earlier transactional test's flush may have emptied the migrations' reference data
    if not Industry.objects.exists():
        from django.apps import apps

        import_module("orgs.migrations.0002_reference_data").load(apps, None)
    # the command in its own process, as it is run: its forked posting workers then share no
    # socket with this test process (whose Celery client pings the test worker later on)
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    command = ["ecosystem_generate", "--scale", "small", "--events", "300", "--seed", "9", "--workers", "2"]
    subprocess.run(
        [sys.executable, "manage.py", *command, "--last-day", LAST_DAY.isoformat(), "--no-progress"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    assert ledger_check_rollups() == [] and set(ledger_totals_by_currency().values()) == {0}
    by_workers = _fingerprint()
    plan = build_plan(
        scale=SCALES["small"],
        seed=9,
        last_day=LAST_DAY,
        isic_classes=sorted(Industry.objects.filter(level="class").values_list("code", flat=True)),
    )
    ids = ids_load(plan)
    codes = {pk: m.code for pk, m in zip(ids.mes, plan.mes, strict=True)}
    emc_codes = {pk: e.code for pk, e in zip(ids.emcs, plan.emcs, strict=True)}
    batches = list(
        HistoryGenerator(plan, ids, tz=timezone.get_current_timezone()).history_batches(300, seed=9)
    )
    drawn = sorted(
        (
            p.kind,
            codes[p.me_id],
            emc_codes[p.emc_id],
            p.user_ref,
            p.amount_minor,
            p.currency,
            p.occurred_at,
            b.now,
        )
        for b in batches
        for p in b.payments
    )
    assert [r for r in by_workers[0] if r[0] == "payment"] == drawn
    assert sum(by_workers[1].values()) == sum(len(p.partner_ids) for b in batches for p in b.payments)
