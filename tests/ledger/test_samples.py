"""The sample files offered on the import page validate against the demo ecosystem, today."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ledger.demo import demo_ledger_load
from ledger.imports.batches import import_batch_create
from ledger.models import ImportBatch
from orgs.demo import demo_users_load
from orgs.demo_org import demo_org_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    users = demo_users_load()
    demo_org_load(users=users, progress=lambda *_: None)
    demo_ledger_load(users=users, progress=lambda *_: None)
    return users


@pytest.mark.parametrize("kind", ["events", "signals", "indicators"])
def test_a_downloaded_sample_validates_against_the_demo(client, demo, kind):
    # given the sample as the import page serves it today (its file on disk dates from 2025,
    # beyond the back-dating window)
    client.force_login(demo["leader"])
    response = client.get(reverse("ledger:import-sample", args=[kind]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    body = response.content
    # when the leader validates it
    batch = import_batch_create(
        actor=demo["leader"],
        kind=kind,
        upload=SimpleUploadedFile("s.csv", body),
        filename="s.csv",
        commit=False,
    )
    # then every row is valid, and its latest date is a day or so ago
    assert batch.status == ImportBatch.Status.VALIDATED, batch.error_report
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    if kind == "indicators":  # a day each
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        assert max(dt.date.fromisoformat(r["on"]) for r in rows) == yesterday
        return
    latest = max(dt.datetime.fromisoformat(r["occurred_at"]) for r in rows)
    assert dt.timedelta(days=1) <= dt.datetime.now(dt.UTC) - latest < dt.timedelta(days=2)
