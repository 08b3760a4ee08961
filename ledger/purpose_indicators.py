"""Purpose indicators (metrics 1 and 2): what an EMC did for society on a day.

Logged by ME leaders for an EMC their ME is a node of, like value events: validated set-based
for one or many (field errors by index, nothing written unless all are valid), append-only.
Each kind has ONE unit (PurposeIndicator.UNITS); another unit is refused, never converted.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import permissions
from ledger.context import org_context_load
from ledger.models import PurposeIndicator, Source
from ledger.posting.specs import BULK_BATCH, BatchValidationError

QUANTITY_MAX = Decimal("999999999999999")  # fits the column (18 digits, 3 decimals)
QUANTUM = Decimal("0.001")


@dataclass(slots=True)
class PurposeIndicatorSpec:
    kind: str = ""
    me_id: int | None = None
    emc_id: int | None = None
    on: dt.date | None = None
    quantity: object = None
    unit: str = ""
    note: str = ""
    idempotency_key: str | None = None


def _quantity(value) -> tuple[Decimal | None, str | None]:
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None, _("Give a number such as 120 or 3.5.")
    if not quantity.is_finite():
        return None, _("Give a number such as 120 or 3.5.")
    if quantity < 0:
        return None, _("A quantity cannot be negative; log what was achieved (0 or more).")
    if quantity > QUANTITY_MAX:
        return None, _("This quantity is too large.")
    if quantity != quantity.quantize(QUANTUM):
        return None, _("Use at most three decimal places.")
    return quantity, None


def purpose_indicators_validate(
    *, specs: list[PurposeIndicatorSpec], actor, today: dt.date | None = None
) -> dict[int, dict[str, list[str]]]:
    """Return {index: {field: [messages]}} for the bad specs (empty when all are valid)."""
    today = today or timezone.localdate()
    earliest = today - dt.timedelta(days=settings.LEDGER_BACKDATE_DAYS)
    ctx = org_context_load(me_ids={s.me_id for s in specs}, emc_ids={s.emc_id for s in specs})
    errors: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for i, s in enumerate(specs):
        e = errors[i]
        if s.kind not in PurposeIndicator.Kind.values:
            e["kind"].append(_("Use co2e_avoided, energy_saved, units_recycled or people_served."))
        elif s.unit != PurposeIndicator.UNITS[s.kind]:
            e["unit"].append(
                _("“%(unit)s” is not the unit of this indicator: log it in %(expected)s.")
                % {"unit": s.unit, "expected": PurposeIndicator.UNITS[s.kind]}
            )
        _q, message = _quantity(s.quantity)
        if message:
            e["quantity"].append(message)
        if not isinstance(s.on, dt.date):
            e["on"].append(_("Give a date."))
        elif s.on > today:
            e["on"].append(_("The day is in the future."))
        elif s.on < earliest:
            e["on"].append(
                _("Too far in the past: indicators may be back-dated at most %(days)d days.")
                % {"days": settings.LEDGER_BACKDATE_DAYS}
            )
        if s.me_id not in ctx.mes:
            e["me"].append(_("Choose a microenterprise."))
        if s.emc_id not in ctx.emcs:
            e["emc"].append(_("Choose an EMC."))
        elif s.me_id in ctx.mes and isinstance(s.on, dt.date) and not ctx.me_in_emc(s.emc_id, s.me_id, s.on):
            e["emc"].append(_("The ME was not a node of this EMC on %(day)s.") % {"day": s.on})
        if len(s.note or "") > 255:
            e["note"].append(_("Keep the note under 255 characters."))
        if not e:
            del errors[i]
    refused = permissions.refused_rows(
        actor=actor, specs=specs, mes=ctx.mes, message=permissions.INDICATORS_NOT_YOURS
    )
    return permissions.with_refusals({i: dict(f) for i, f in errors.items()}, refused)


def purpose_indicators_post(
    *, specs: list[PurposeIndicatorSpec], actor, source: str = Source.API
) -> list[PurposeIndicator]:
    """Validate all, then write all (bulk) or raise and write nothing."""
    errors = purpose_indicators_validate(specs=specs, actor=actor)
    if errors:
        if len(specs) == 1:
            raise ValidationError(errors[0])
        raise BatchValidationError(errors)
    return purpose_indicators_write(specs=specs, actor=actor, source=source)


def purpose_indicators_write(
    *, specs: list[PurposeIndicatorSpec], actor, source: str, now: dt.datetime | None = None
) -> list[PurposeIndicator]:
    """Write specs that `purpose_indicators_validate` passed (the CSV import validates a whole
    file before it writes any chunk)."""
    logged_by = actor if actor is not None and actor.is_authenticated else None
    now = now or timezone.now()
    with transaction.atomic():
        return PurposeIndicator.objects.bulk_create(
            [
                PurposeIndicator(
                    kind=s.kind,
                    me_id=s.me_id,
                    emc_id=s.emc_id,
                    on=s.on,
                    quantity=_quantity(s.quantity)[0],
                    unit=s.unit,
                    note=(s.note or "").strip(),
                    logged_by=logged_by,
                    logged_at=now,
                    source=source,
                    idempotency_key=s.idempotency_key,
                )
                for s in specs
            ],
            batch_size=BULK_BATCH,
        )
