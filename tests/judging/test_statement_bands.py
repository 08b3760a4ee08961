"""The ME matrix's quadrant bands as admin data: validated, audited, in force from the next
night, read by the matrix (tests/judging/test_matrix.py's world and goals)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from judging import services
from judging.matrix import bands_on
from judging.models import MatrixBands, MatrixPoint
from orgs.models import AuditEntry
from tests.factories import UserFactory
from tests.judging.test_matrix import goals  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"x_band": "-1", "y_band": "100"}, "x_band"),
        ({"x_band": "100", "y_band": "1000.01"}, "y_band"),
        ({"x_band": "abc", "y_band": "100"}, "x_band"),
        ({"x_band": "100.001", "y_band": "100"}, "x_band"),
        ({"x_band": "NaN", "y_band": "100"}, "x_band"),
        ({"x_band": "1e2", "y_band": "100"}, "x_band"),
        ({"x_band": "100", "y_band": 100}, "y_band"),
        ({"x_band": 99.5, "y_band": "100"}, "x_band"),
    ],
)
def test_a_band_out_of_range_is_refused_and_nothing_is_saved(db, data, field):
    admin = UserFactory(roles=["platform_admin"])
    with pytest.raises(ValidationError) as exc:
        services.matrix_bands_save(actor=admin, data=data)
    assert field in exc.value.message_dict
    assert not MatrixBands.objects.exists() and not AuditEntry.objects.exists()


def test_versions_are_ordered_and_start_the_next_night(db):
    admin = UserFactory(roles=["platform_admin"])
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.matrix_bands_save(actor=admin, data={"x_band": "80", "y_band": "90"}, effective_from=today)
    assert "effective_from" in exc.value.message_dict
    services.matrix_bands_save(
        actor=admin, data={"x_band": "80", "y_band": "90"}, effective_from=today + dt.timedelta(days=5)
    )
    with pytest.raises(ValidationError):  # before the latest version: out of order
        services.matrix_bands_save(actor=admin, data={"x_band": "70", "y_band": "70"})
    assert bands_on(today) == (Decimal(100), Decimal(100))  # the settings, until the version starts
    assert bands_on(today + dt.timedelta(days=5)) == (Decimal("80.00"), Decimal("90.00"))


def test_the_admin_form_saves_an_audited_version(client, db):
    admin = UserFactory(roles=["platform_admin"])
    client.force_login(admin)
    url = reverse("judging:matrix-bands")
    bad = client.post(url, {"x_band": "5000", "y_band": "100"})
    assert bad.status_code == 400 and "x_band" in bad.context["form"].errors
    exponent = client.post(url, {"x_band": "1e2", "y_band": "100", "note": "review"})
    assert exponent.status_code == 400 and "x_band" in exponent.context["form"].errors
    assert not MatrixBands.objects.exists()
    assert client.post(url, {"x_band": "75", "y_band": "60", "note": "kinder"}).status_code == 302
    version = MatrixBands.objects.get()
    assert version.effective_from == timezone.localdate() + dt.timedelta(days=1)
    audit = AuditEntry.objects.get(action="judging.matrix_bands_save")
    assert audit.actor == admin and audit.reason == "kinder"
    assert audit.changes["x_band"] == ["100", "75"] and audit.changes["y_band"] == ["100", "60"]
    leader = UserFactory(roles=["me_leader"])
    client.force_login(leader)
    assert client.get(url).status_code == 403


def test_the_matrix_reads_the_bands_in_force_on_the_night(goals, night):  # noqa: F811
    # lead ME L at x 38.89, y 0.00 (test_matrix.py): lagging under the default 100/100
    MatrixBands.objects.create(effective_from=goals.day, x_band=Decimal("30"), y_band=Decimal("0"))
    night()
    lead = MatrixPoint.objects.get(me=goals.world.lead_me, day=goals.day)
    assert lead.quadrant == "leading" and lead.figures["bands"] == ["30.00", "0.00"]
