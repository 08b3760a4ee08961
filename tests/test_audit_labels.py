"""Every action the services write to the audit trail has a label in both languages, the other
apps' fields read by their labels, and amounts kept in minor units read as money."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from orgs.audit_display import action_label, change_lines

ROOT = Path(__file__).resolve().parent.parent
APPS = ("orgs", "ledger", "scoring", "bids", "judging", "payouts", "portal")
# the f-string actions, spelled out
EXPANDED = (
    "auth.password_change",
    "auth.password_reset",
    "judging.appeal_upheld",
    "judging.appeal_overturned",
    "partner.admit",
    "partner.phase_out",
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _written_actions() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    return found | set(EXPANDED)


def test_every_written_action_has_a_label_in_both_languages():
    actions = _written_actions()
    assert {"bids.order_create", "payouts.report_lock", "ledger.payables_post"} <= actions
    unlabelled = {a for a in actions if action_label(a) == a}
    assert unlabelled == set()
    with translation.override("zh-hans"):
        untranslated = {a for a in actions if re.fullmatch(r"[ -~]+", action_label(a))}
    assert untranslated == set()


def test_the_other_apps_fields_read_by_their_labels():
    lines = change_lines(action="bids.bid_place", changes={"bidder": "oven-me", "asked_share_pct": "12.5"})
    assert [line["label"] for line in lines] == ["Bidder", "Asked share (%)"]
    hours = change_lines(
        action="judging.hours_entry_log", changes={"me": "oven-me", "starts_on": "2026-11-01"}
    )
    assert [line["label"] for line in hours] == ["ME", "Starts on"]
    with translation.override("zh-hans"):
        line = change_lines(action="payouts.report_lock", changes={"payables_transaction": 7})[0]
    assert line["label"] == "应付款交易"


@pytest.mark.parametrize(
    ("action", "changes", "shown"),
    [
        ("payouts.report_lock", {"total_minor": 2124345, "currency": "CNY"}, "CN¥21,243.45"),
        ("payouts.coinvestment_record", {"amount_minor": 100000, "currency": "CNY"}, "CN¥1,000.00"),
        ("ledger.payables_post", {"currency": "JPY", "total": 2124345}, "¥2,124,345"),
    ],
)
def test_minor_units_read_as_money_in_the_rows_currency(action, changes, shown):
    money = [line for line in change_lines(action=action, changes=changes) if line["label"] != "Currency"]
    assert money == [{"label": "Total" if "total" in str(changes) else "Amount", "value": shown}]


def test_an_amount_without_its_currency_stays_a_number():
    line = change_lines(action="payouts.report_lock", changes={"total_minor": 2124345})[0]
    assert line == {"label": "Total", "value": "2124345"}
