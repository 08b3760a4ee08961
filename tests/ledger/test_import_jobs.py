"""Large CSV imports run in the background with progress; small ones stay in the request."""

import csv
import datetime as dt
import io
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ledger import selectors, tasks
from ledger.imports import batches, jobs, progress
from ledger.imports.batches import STOPPED_MESSAGE
from ledger.imports.rows import EVENT_COLUMNS
from ledger.models import ImportBatch, ValueEvent
from tests.ledger.test_importing import _row


def _upload(rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("big.csv", out.getvalue().encode(), content_type="text/csv")


def _rows(world, now, n, **overrides):
    return [_row(world, now, ref=f"bg-{i}", user_ref=f"u-{i:05d}", **overrides) for i in range(n)]


@pytest.fixture
def background(settings, tmp_path, monkeypatch):
    """Files of more than 3 rows go to the background; its tasks run in-process (eager)."""
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path
    settings.LEDGER_IMPORT_INLINE_ROWS = 3
    monkeypatch.setitem(app.conf, "task_always_eager", True)


def test_rows_are_estimated_from_line_breaks():
    assert jobs.rows_estimate(SimpleUploadedFile("a.csv", b"h1,h2\n1,2\n3,4\n")) == 2
    assert jobs.rows_estimate(SimpleUploadedFile("a.csv", b"h1,h2\n1,2\n3,4")) == 2
    assert jobs.rows_estimate(SimpleUploadedFile("a.csv", b"h1,h2\n")) == 0


@pytest.mark.django_db
def test_a_large_file_is_validated_then_posted_by_background_tasks(
    client, world, now, background, django_capture_on_commit_callbacks
):
    client.force_login(world.leader)
    # when a leader uploads a file over the inline limit
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ledger:import"), {"kind": "events", "file": _upload(_rows(world, now, 5))}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("ledger:import-detail", args=[batch.pk])
    # then the task validated it whole (in-process here: no broker) and reported its progress
    assert batch.status == ImportBatch.Status.VALIDATED and batch.rows == 5
    assert progress.progress_get(batch.pk) == {
        "phase": "validating",
        "done": 5,
        "total": 5,
        "percent": 100,
    }
    assert ValueEvent.objects.count() == 0
    # and the progress endpoint tells the polling page to reload, now that it is done
    poll = client.get(reverse("ledger:import-progress", args=[batch.pk]))
    assert poll.status_code == 200 and poll["HX-Refresh"] == "true"

    # when the leader posts it, a task posts all rows at once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ledger:import-post", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.POSTED
    assert ValueEvent.objects.filter(import_batch=batch).count() == 5
    assert progress.progress_get(batch.pk)["phase"] == "posting"
    assert set(selectors.ledger_totals_by_currency().values()) == {0}


@pytest.mark.django_db
def test_while_a_batch_is_in_progress_its_page_shows_a_polling_progress_bar(client, world, now, background):
    client.force_login(world.leader)
    # given a queued batch no worker has picked up yet (the commit hook never runs here)
    client.post(reverse("ledger:import"), {"kind": "events", "file": _upload(_rows(world, now, 5))})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.VALIDATING and batch.rows == 5  # estimated until counted
    page = client.get(reverse("ledger:import-detail", args=[batch.pk]))
    assert b'data-testid="import-progress"' in page.content and b"post-all" not in page.content
    # when a worker reports progress, the polled fragment shows it
    progress.progress_reporter(batch.pk, "validating")(2, 5)
    poll = client.get(reverse("ledger:import-progress", args=[batch.pk]))
    assert "HX-Refresh" not in poll and b"40%" in poll.content
    # and a batch still validating cannot be posted
    client.post(reverse("ledger:import-post", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATING and ValueEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_large_file_fails_in_the_background_and_writes_nothing(
    client, world, now, background, django_capture_on_commit_callbacks
):
    client.force_login(world.leader)
    rows = _rows(world, now, 5)
    rows[3]["amount"] = "-1"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ledger:import"), {"kind": "events", "file": _upload(rows)})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and batch.errors == 1
    assert "5,amount," in batch.error_report  # row 5 of the file: the 4th data row
    assert ValueEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_redelivered_task_does_nothing_and_an_unexpected_error_fails_the_batch(
    world, now, background, monkeypatch
):
    batch = jobs.import_queue(
        actor=world.leader, kind="events", upload=_upload(_rows(world, now, 5)), filename="big.csv"
    )
    # a task that finds the batch no longer in progress (done by an earlier delivery) does nothing
    assert tasks.import_post(batch.pk) == ImportBatch.Status.VALIDATING
    # an unexpected error never leaves the batch in progress: it fails, with nothing posted
    monkeypatch.setattr("ledger.imports.run.file_run", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        tasks.import_validate(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and str(STOPPED_MESSAGE) in batch.error_report
    assert ValueEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_second_delivery_of_the_post_task_does_not_post_twice(world, now, background):
    # given a validated batch queued for posting, and a second delivery of the same task that
    # read the batch before the first finished
    batch = jobs.import_queue(
        actor=world.leader, kind="events", upload=_upload(_rows(world, now, 5)), filename="big.csv"
    )
    tasks.import_validate(batch.pk)
    batch.refresh_from_db()
    jobs.import_post_queue(actor=world.leader, batch=batch)
    stale = ImportBatch.objects.get(pk=batch.pk)
    assert stale.status == ImportBatch.Status.POSTING
    # when both run, one after the other
    assert batches.import_batch_post_now(batch=ImportBatch.objects.get(pk=batch.pk)).status == "posted"
    assert batches.import_batch_post_now(batch=stale).status == "posted"
    # then the rows are posted once, and a late failure report cannot undo "posted"
    assert ValueEvent.objects.filter(import_batch=batch).count() == 5
    assert batches.import_batch_fail(batch=stale, message="late").status == "posted"


@pytest.mark.django_db
def test_imports_whose_task_never_finished_are_failed_by_the_sweep(world, now, background, settings):
    settings.LEDGER_IMPORT_STALE_HOURS = 6
    old, recent = (
        jobs.import_queue(actor=world.leader, kind="events", upload=_upload(_rows(world, now, 5)), filename=f)
        for f in ("old.csv", "recent.csv")
    )
    ImportBatch.objects.filter(pk=old.pk).update(queued_at=timezone.now() - dt.timedelta(hours=7))
    assert tasks.import_sweep() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == ImportBatch.Status.FAILED and str(STOPPED_MESSAGE) in old.error_report
    assert recent.status == ImportBatch.Status.VALIDATING
    # and a task delivered after the sweep does nothing
    assert tasks.import_validate(old.pk) == ImportBatch.Status.FAILED


@pytest.mark.django_db
def test_when_the_task_cannot_be_queued_the_batch_fails_and_its_page_says_so(
    client, world, now, background, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.import_validate, "delay", broker_down)
    client.force_login(world.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ledger:import"), {"kind": "events", "file": _upload(_rows(world, now, 5))}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.status == ImportBatch.Status.FAILED
    assert str(STOPPED_MESSAGE) in client.get(response.url).content.decode()


@pytest.mark.django_db
def test_posting_starts_its_progress_from_zero(world, now, background, django_capture_on_commit_callbacks):
    batch = jobs.import_queue(
        actor=world.leader, kind="events", upload=_upload(_rows(world, now, 5)), filename="big.csv"
    )
    tasks.import_validate(batch.pk)
    assert progress.progress_get(batch.pk)["percent"] == 100
    batch.refresh_from_db()
    queued = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.import_post_queue(actor=world.leader, batch=batch)
    # once posting is queued, validation's 100% is gone before the task reports anything
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tasks.import_post, "delay", queued.append)
        for callback in callbacks:
            callback()
    assert queued == [batch.pk] and progress.progress_get(batch.pk) is None


@pytest.mark.django_db
def test_the_api_answers_202_for_a_large_file_and_a_task_validates_and_posts_it(
    world, now, background, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(world.leader)
    upload = _upload(_rows(world, now, 5))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/imports/",
            {"kind": "events", "file": upload, "commit": "true"},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 202, response.content
    assert response.data["status"] == ImportBatch.Status.POSTING and response.data["rows"] == 5
    # the Location answers with the finished batch
    done = api.get(response["Location"])
    assert done.status_code == 200 and done.data["status"] == "posted" and done.data["progress"] is None
    assert ValueEvent.objects.filter(import_batch_id=response.data["id"]).count() == 5


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_validates_and_posts_a_large_upload(
    client, world, now, settings, celery_worker_process
):
    settings.LEDGER_IMPORT_INLINE_ROWS = 3  # (the worker reads the file from the default MEDIA_ROOT)
    client.force_login(world.leader)
    client.post(reverse("ledger:import"), {"kind": "events", "file": _upload(_rows(world, now, 7))})
    batch = ImportBatch.objects.get()

    def wait_for(status):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.status not in ImportBatch.IN_PROGRESS:
                break
            time.sleep(0.2)
        assert batch.status == status, batch.error_report

    try:
        wait_for(ImportBatch.Status.VALIDATED)
        # the worker's progress reaches the web process through the shared cache (Redis)
        assert progress.progress_get(batch.pk)["done"] == 7
        client.post(reverse("ledger:import-post", args=[batch.pk]))
        wait_for(ImportBatch.Status.POSTED)
        assert ValueEvent.objects.filter(import_batch=batch).count() == 7
        assert set(selectors.ledger_totals_by_currency().values()) == {0}
    finally:
        batch.file.delete(save=False)
