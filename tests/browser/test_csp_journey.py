"""The Content-Security-Policy in a real Chromium: every page works under it (charts drawn,
the network graph laid out, htmx filters, the language menu, the API docs, the Django admin) with
no violation (the `page` fixture fails a test on any), and a script injected into a page is refused."""

import datetime as dt

import pytest
from django.utils import timezone

from ledger import services
from tests.factories import EMCParticipationFactory, PartnerFactory
from tests.ledger.factories import world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _world_with_a_payment():
    world = world_build()
    world.admin.is_staff = True
    world.admin.save()
    EMCParticipationFactory(emc=world.emc, partner=PartnerFactory(name="Aurora Dryers"))
    services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        solution=world.solution,
        category=world.category,
        user_ref="u-12345",
        amount="25000.00",
        currency="CNY",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        partners=[world.partner],
    )
    return world


def _chart_drawn(page, selector: str) -> bool:
    return page.evaluate(f"!!(window.Chart && Chart.getChart(document.querySelector({selector!r})))")


def test_every_page_works_under_the_policy(login, page):
    world = _world_with_a_payment()
    login(world.admin.username)
    page.wait_for_url("**/")
    csp = page.request.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp

    # the dashboard's charts (Chart.js)
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('daily-value-chart'))"
    )
    assert _chart_drawn(page, "#partner-state-chart")

    # the network graph (Cytoscape): laid out and drawn, its stylesheet found
    page.goto("/network/")
    page.wait_for_function("() => document.querySelector('#network-graph canvas')")
    assert "Showing 1 of 1 EMCs" in page.get_by_test_id("network-summary").inner_text()
    assert page.evaluate("getComputedStyle(document.getElementById('network-graph')).position") == "relative"

    # the ME ledger: progress bar sized by static/js/app.js, chart drawn
    page.goto(f"/ledger/me/{world.lead_me.code}/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-ledger-chart]'))"
    )
    bar = page.locator(".progress-thin .progress-bar")
    assert bar.get_attribute("data-progress") == "25"
    assert (
        0
        < bar.evaluate("b => b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width")
        < 1
    )

    # the partner filter (htmx) and its busy indicator styles (htmx's own inline <style> is off)
    page.goto("/partners/")
    page.get_by_test_id("filter-q").fill("aurora")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=partner-table] tbody tr').length === 1"
    )

    # the language menu submits itself (no inline handler)
    page.select_option("#lang-switch", "zh-hans")
    page.wait_for_function("() => document.documentElement.lang === 'zh-hans'")
    page.select_option("#lang-switch", "en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")

    # the API docs: Swagger UI renders (its init script served as a file) and lists the operations
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")

    # the Django admin
    page.goto("/admin/")
    page.wait_for_selector("#content-main")
    page.goto("/admin/axes/accessattempt/")
    page.wait_for_selector("#changelist")
    assert page.csp_violations == []


def test_an_injected_inline_script_is_refused(login, page):
    world = _world_with_a_payment()
    login(world.leader.username)
    page.wait_for_url("**/")

    # markup that slipped past escaping into a page: an inline script, a handler, a style attribute
    def inject(route):
        response = route.fetch()
        html = response.text().replace(
            "</main>",
            '<script>window.pwned = 1</script><img src="/static/none.png" onerror="window.pwned = 2">'
            '<p id="styled" style="color: rgb(255, 0, 0)">x</p></main>',
        )
        route.fulfill(response=response, body=html)

    page.route("**/ledger/", inject)
    page.goto("/ledger/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != "rgb(255, 0, 0)"
    # and one added by a script at run time
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 3'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned") is None
    refused = list(page.csp_violations)
    assert any("script-src" in v for v in refused) and any("style-src" in v for v in refused), refused
    page.csp_violations.clear()  # expected here: the fixture fails any other journey on one
