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
