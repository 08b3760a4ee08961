"""Journey in a real Chromium: an admin creates a scenario, then an EMC with two node MEs and
that scenario, from the menu; a share total that misses 100 is refused first, by field."""

import pytest

from tests.factories import MicroenterpriseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_creates_an_emc_with_two_node_mes_and_a_scenario(user_with_role, login, page):
    user_with_role("platform_admin", username="ada")
    MicroenterpriseFactory(code="dryers", name="Dryers ME")
    MicroenterpriseFactory(code="sensors", name="Sensors ME")

    login("ada")
    page.wait_for_url("**/")
    page.get_by_test_id("menu-organization").locator(".dropdown-toggle").click()
    page.get_by_test_id("menu-emc-create").click()
    page.wait_for_url("**/emcs/new/")

    # the scenario does not exist yet: create it and come back
    page.get_by_test_id("new-scenario-link").click()
    page.wait_for_url("**/catalog/scenarios/new/**")
    page.fill("#id_code", "balcony-life")
    page.fill("#id_name", "Balcony life")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/emcs/new/")

    page.fill("#id_code", "balcony")
    page.fill("#id_name", "Smart balcony")
    page.select_option("#id_kind", "experience")
    page.select_option("#id_lead_me", "dryers")
    page.get_by_label("Balcony life").check()
    page.select_option("#id_nodes-0-me", "dryers")
    page.fill("#id_nodes-0-share_weight", "70")
    page.select_option("#id_nodes-1-me", "sensors")
    page.fill("#id_nodes-1-share_weight", "20")
    page.get_by_role("button", name="Create").click()
    # refused: the shares make 90
    assert "100" in page.get_by_test_id("error-nodes").inner_text()

    page.fill("#id_nodes-1-share_weight", "30")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/emcs/balcony/")
    assert page.get_by_test_id("page-title").inner_text().startswith("Smart balcony")
    rows = page.get_by_test_id("nodes").locator("tbody tr")
    shares = {
        rows.nth(i).locator("td").nth(0).inner_text(): rows.nth(i).locator("td").nth(1).inner_text()
        for i in range(rows.count())
    }
    assert shares == {"dryers": "70", "sensors": "30"}
    assert page.get_by_test_id("scenarios").inner_text().strip() == "Balcony life"
