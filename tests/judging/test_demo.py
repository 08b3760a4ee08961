"""The demo's judging rules: written once through the rule service (audited), and the latest
scored night judged by them."""

from judging.demo import RULES, demo_judging_load
from judging.models import Rule, Scorecard
from orgs.models import AuditEntry
from tests.factories import UserFactory


def test_the_demo_rules_load_once_and_judge_the_latest_night(judged, night):
    night()
    Scorecard.objects.all().delete()
    users = {"admin": UserFactory(roles=["platform_admin"])}
    demo_judging_load(users=users, progress=lambda _m: None)
    assert Rule.objects.count() == len(RULES)
    assert AuditEntry.objects.filter(action="judging.rule_create").count() == len(RULES)
    assert Scorecard.objects.filter(day=judged.day).exists()
    demo_judging_load(users=users, progress=lambda _m: None)
    assert Rule.objects.count() == len(RULES)


def test_the_demo_logs_costs_and_hours_for_some_mes_only(db):
    from judging.demo import demo_statement_inputs_load
    from judging.models import CostEntry, HoursEntry
    from tests.factories import MicroenterpriseFactory

    mes = [MicroenterpriseFactory() for _ in range(6)]
    users = {"admin": UserFactory(roles=["platform_admin"])}
    made = demo_statement_inputs_load(users=users)
    logged = set(CostEntry.objects.values_list("me_id", flat=True))
    # two in three MEs (by id) log three categories and their hours in each of three months
    expected = {me.pk for me in mes if me.pk % 3}
    assert logged == expected and set(HoursEntry.objects.values_list("me_id", flat=True)) == expected
    assert made == len(expected) * 3 * 4
    assert demo_statement_inputs_load(users=users) == 0  # once
