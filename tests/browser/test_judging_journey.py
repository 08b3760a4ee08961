"""Judging in a real Chromium. Journey 1: an admin opens the proposals queue, reads a phase-out
proposal's evidence, accepts it, and the partner's timeline and its EMC show it. Journey 2: a
partner user logs in, sees its own scorecard (figures, sparklines drawn) and not another's."""

import datetime as dt

import pytest

from judging import services
from judging.proposals import proposals_make
from orgs.models import PartnerUser
from tests.factories import EMCFactory, EMCParticipationFactory, PartnerFactory
from tests.judging.conftest import judged_world_build
from tests.judging.test_proposals import D, cards
from tests.scoring.conftest import run_night

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def fresh_content_types():
    """A flush between transactional tests gives content types new ids: forget the cached ones
    (the audit rows name their target's content type)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def test_an_admin_accepts_a_phase_out_proposal_from_its_evidence(user_with_role, login, page):
    ada = user_with_role("platform_admin", username="ada")
    services.rule_save(
        actor=ada,
        code="phase-out-refunds",
        data={
            "name": "Refunds still too high on watch",
            "action": "phase_out",
            "metric": "refund_rate_pct",
            "comparison": "above",
            "threshold": "20",
            "sustained_days": 2,
            "appeal_days": 14,
        },
    )
    balcony = EMCFactory(code="balcony", name="Smart balcony")
    drift = PartnerFactory(
        name="Drift Laundry Tech", code="drift", state="on_watch", state_since=dt.date(2024, 6, 1)
    )
    EMCParticipationFactory(emc=balcony, partner=drift, started_on=dt.date(2024, 2, 1))
    cards(drift, "25", "31.5")
    proposals_make(day=D)

    login("ada")
    page.wait_for_url("**/")
    page.goto("/judging/proposals/")
    rows = page.get_by_test_id("proposal-row")
    assert rows.count() == 1 and "Drift Laundry Tech" in rows.first.inner_text()
    rows.first.get_by_test_id("proposal-open").click()
    page.wait_for_url("**/judging/proposals/*/")
    evidence = page.get_by_test_id("proposal-evidence").inner_text()
    assert "Refunds still too high on watch" in evidence and "31.50" in evidence and "25.00" in evidence

    page.get_by_test_id("decision-form").locator("textarea[name=reason]").fill(
        "Users kept returning the dryers"
    )
    page.get_by_test_id("accept").click()
    page.wait_for_url("**/judging/proposals/*/")
    assert "Accepted" in page.get_by_test_id("proposal-status").inner_text()

    page.goto("/partners/drift/")
    assert "Phased out" in page.get_by_test_id("partner-state").inner_text()
    latest = page.get_by_test_id("timeline").locator("li").first
    assert "Phased out" in latest.inner_text()  # the state's label, as the timeline shows it
    assert "Users kept returning the dryers" in latest.get_by_test_id("timeline-reason").inner_text()
    page.goto("/emcs/balcony/")
    assert "Drift Laundry Tech" in page.get_by_test_id("past-partners").inner_text()
    assert "Drift Laundry Tech" not in page.get_by_test_id("active-partners").inner_text()


def test_a_partner_user_sees_its_own_scorecard_and_no_other(user_with_role, login, page, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the night's judging in this process
    judged = judged_world_build()
    run_night(judged.day)
    own, other = judged.world.partner, judged.p2
    user = user_with_role("partner", username="pia")
    PartnerUser.objects.create(user=user, partner=own)

    login("pia")
    page.wait_for_url("**/")
    page.goto("/judging/mine/")
    page.get_by_test_id("my-scorecard").click()
    page.wait_for_url(f"**/judging/partners/{own.code}/")
    figures = page.get_by_test_id("scorecard-figures")
    assert "CN¥70.00" in figures.locator("[data-figure=revenue]").inner_text()
    assert "-0.50" in figures.locator("[data-figure=margin_mean]").inner_text()
    page.wait_for_selector("canvas[data-judging-spark][data-drawn='1']", state="attached")
    assert page.get_by_test_id("event-row").count() == 2

    response = page.goto(f"/judging/partners/{other.code}/")
    assert response.status == 404
    assert page.goto("/judging/scorecards/").status == 403


def test_staff_see_the_scorecard_with_its_utility_graph_and_the_matrix(user_with_role, login, page, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    judged = judged_world_build()
    judged.world.solution.provider_partners.add(judged.p2)  # a co-creator to draw
    run_night(judged.day)
    user_with_role("auditor", username="olga")
    login("olga")
    page.wait_for_url("**/")
    page.goto(f"/judging/partners/{judged.world.partner.code}/")
    page.wait_for_selector("[data-testid=utility-graph][data-drawn='1']", state="attached")
    assert "no data" in page.get_by_test_id("utility-terms").locator("[data-term=f_e]").inner_text()
    page.goto("/judging/matrix/")
    page.wait_for_selector("canvas[data-judging-matrix][data-drawn='1']", state="attached")
