"""An admin opens the brand index, drills into a user-perspective metric, sees its trend and the
EMCs compared, then re-runs a date from the runs page and sees it finish (real Chromium)."""

import datetime as dt

import pytest
from django.conf import settings

from scoring.models import NightlyRun
from tests.scoring.conftest import run_night, scored_world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_admin_drills_from_the_index_to_a_metric_and_reruns_a_date(request, page, login):
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # with a broker, the run goes to a real worker
        request.getfixturevalue("celery_worker_process")
    scored = scored_world_build()
    earlier = scored.day - dt.timedelta(days=1)
    run_night(earlier)
    run_night(scored.day)
    scored.world.admin.username = "ada"
    scored.world.admin.save()

    login("ada")
    page.get_by_test_id("menu-scoring-menu").locator(".dropdown-toggle").click()  # the Scoring menu
    page.get_by_test_id("menu-scoring").click()
    assert page.text_content("[data-testid=page-title]") == "Ecosystem Brand Index"
    assert page.text_content("[data-testid=index-overall]").strip() not in ("", "no data")
    page.click("[data-testid=metric-cocreation_willingness]")
    assert "co-create" in page.text_content("[data-testid=page-title]")
    assert page.text_content("[data-testid=metric-value]").strip().startswith("25")
    page.wait_for_selector("canvas[data-scoring-chart=metric-trend][data-drawn='1']")
    comparison = page.text_content("[data-testid=emc-comparison]")
    assert scored.world.emc.code in comparison and "no data" in comparison  # the empty EMC

    page.locator("main").get_by_role("link", name="Nightly runs").click()  # the scoring tabs
    page.fill("#id_run_date", earlier.isoformat())
    page.click("[data-testid=run-start]")
    page.wait_for_selector("[data-testid=run-progress][data-status=done]", timeout=60_000)
    assert page.text_content("[data-testid=run-percent]").strip() == "100%"
    run = NightlyRun.objects.get(run_date=earlier, superseded=False)
    assert run.status == "done" and run.runs == 2
