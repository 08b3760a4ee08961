"""The Win-Win Value-Added Statement in a real Chromium: an ME leader opens the statement of its
ME from the menu, reads "no data" for its own costs, logs a cost by the form, and the statement
shows it (with the marginal income after own costs)."""

import pytest
from django.utils import timezone

from ledger import services as ledger_services
from tests.ledger.factories import world_build
from tests.scoring.conftest import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def fresh_content_types():
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def test_a_leader_logs_a_cost_and_the_statement_shows_it(login, page):
    world = world_build()
    today = timezone.localdate()
    # 100.00 at the leader's ME: fee 5.00, holdback 9.50, L 51.30, N 34.20 (no partner)
    ledger_services.value_event_log(
        actor=None,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        category=world.category,
        user_ref="u-0001",
        amount="100.00",
        currency="CNY",
        occurred_at=at(today, 0),
    )
    login(world.leader.username)
    page.wait_for_url("**/")
    page.get_by_test_id("menu-statements").click()
    page.wait_for_url("**/judging/statements/")
    page.get_by_test_id("statement-mes").get_by_role("link").first.click()
    page.wait_for_url(f"**/judging/statements/me/{world.lead_me.code}/**")
    section = page.get_by_test_id("statement-CNY")
    assert "100.00" in section.get_by_test_id("revenue-total").inner_text()
    assert "No data" in section.get_by_test_id("own-costs").inner_text()
    assert "Reconciled" in section.get_by_test_id("reconciled").inner_text()

    page.get_by_role("link", name="Log costs").first.click()
    page.wait_for_url("**/judging/entries/costs/new/**")
    page.fill("#id_period", f"{today:%Y-%m}")
    page.select_option("#id_category", "materials")
    page.fill("#id_amount", "30.00")
    page.get_by_test_id("entry-save").click()
    page.wait_for_url(f"**/judging/statements/me/{world.lead_me.code}/**")
    section = page.get_by_test_id("statement-CNY")
    assert "30.00" in section.get_by_test_id("own-costs").inner_text()
    # 100.00 - 5.00 fee = 95.00; less 30.00 own costs = 65.00
    assert "65.00" in section.get_by_test_id("marginal-after").inner_text()
