"""Readable history and labels: audit changes as "field: old → new" with labels, states and kinds
by their labels in both languages, the reference names (ME kinds, roles, tiers) in Chinese."""

import pytest
from django.utils import translation

from orgs import services
from orgs.audit_display import change_lines
from orgs.models import MEKind, Partner
from tests.factories import MicroenterpriseFactory, PartnerFactory, reference

pytestmark = pytest.mark.django_db


def test_an_update_reads_as_field_old_to_new():
    lines = change_lines(
        action="me.update", changes={"name": ["Oven", "Smart oven"], "leader": [None, "lin"]}
    )
    assert lines == [
        {"label": "Name", "old": "Oven", "new": "Smart oven"},
        {"label": "Leader", "old": "—", "new": "lin"},
    ]


def test_a_transition_names_the_states_by_their_labels():
    lines = change_lines(action="partner.phase_out", changes={"state": ["active", "phased_out"]})
    assert lines[0] == {"label": "State", "old": "Active", "new": "Phased out"}
    with translation.override("zh-hans"):
        line = change_lines(action="partner.admit", changes={"state": ["applied", "probation"]})[0]
    assert (line["old"], line["new"]) == ("已申请", "试用期")


def test_a_set_reads_before_and_after_and_a_creation_its_values():
    lines = change_lines(
        action="emc.create",
        changes={
            "kind": "experience",
            "scenarios": ["a", "b"],
            "nodes": {"before": {}, "after": {"m1": "60", "m2": "40"}},
        },
    )
    assert lines[0] == {"label": "Kind", "value": "Experience EMC"}
    assert lines[1] == {"label": "Scenarios", "value": "a, b"}  # a two-item list on creation is a value
    assert lines[2] == {"label": "Node shares (%)", "old": "—", "new": "m1 60, m2 40"}


def test_the_me_page_shows_the_readable_history(client, admin):
    kind = reference(MEKind, "node", name="Node")
    me = MicroenterpriseFactory(code="oven", name="Oven", kind=kind)
    services.me_update(me=me, actor=admin, name="Smart oven", reason="Clearer")
    client.force_login(admin)
    html = client.get("/mes/oven/").content.decode()
    assert "ME changed" in html and "Name:</span> Oven → Smart oven" in html
    assert "{&#x27;name&#x27;" not in html and "me.update</code>" not in html  # no internals


def test_reference_names_and_states_speak_chinese(client, admin):
    MicroenterpriseFactory(kind=reference(MEKind, "node", name="Node"))
    partner = PartnerFactory(state=Partner.State.ACTIVE)
    services.partner_phase_out(partner=partner, actor=admin, reason="Users left")
    client.force_login(admin)
    assert "节点小微" in client.get("/mes/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    html = client.get(f"/partners/{partner.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "活跃 → 已淘汰" in html  # the timeline, by labels


def test_the_revenue_baseline_is_shown_in_major_units_with_the_currency(client, admin):
    partner = PartnerFactory(revenue_baseline_minor=1234500, baseline_currency="CNY")
    client.force_login(admin)
    html = client.get(f"/partners/{partner.code}/").content.decode()
    block = html.split('data-testid="revenue-baseline">')[1].split("</dd>")[0]
    assert block.strip() == "CN¥12,345.00" and "minor units" not in html
