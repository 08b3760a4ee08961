"""What the posting engine takes and gives: event specs, valid plans, batch errors."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from ledger.allocation import Part
from ledger.models import ValueEvent

EVENT_KINDS = frozenset(ValueEvent.Kind.values)
BULK_BATCH = 2000  # rows per INSERT: ~2k keeps SQLite under its variable limit and PG statements small


@dataclass(slots=True)
class ValueEventSpec:
    """One event to post. Refunds give `original_id` (stored event) or `original_index` (an
    earlier payment in the same batch); their ME/EMC/scenario/partners come from the original."""

    kind: str = ValueEvent.Kind.PAYMENT
    me_id: int | None = None
    emc_id: int | None = None
    scenario_id: int | None = None
    solution_id: int | None = None
    category_id: int | None = None
    user_ref: str = ""
    amount_minor: int = 0
    currency: str = ""
    occurred_at: dt.datetime | None = None
    customized: bool = False
    partner_ids: tuple[int, ...] = ()
    original_id: int | None = None
    original_index: int | None = None
    note: str = ""
    idempotency_key: str | None = None
    import_batch_id: int | None = None


@dataclass(slots=True)
class Plan:
    spec: ValueEventSpec
    occurred_on: dt.date
    contract_id: int | None
    parts: list[Part]
    partner_ids: tuple[int, ...]
    event_fields: dict = field(default_factory=dict)


class BatchValidationError(ValidationError):
    """Errors of a batch: `row_errors` maps spec index -> {field: [messages]}."""

    def __init__(self, row_errors: dict[int, dict[str, list[str]]]):
        self.row_errors = row_errors
        flat = {
            f"{index}.{name}": msgs for index, fields in row_errors.items() for name, msgs in fields.items()
        }
        super().__init__(flat)


class RowErrors:
    """The errors of a batch being validated: spec index -> field -> messages."""

    __slots__ = ("rows",)

    def __init__(self):
        self.rows: dict[int, dict[str, list[str]]] = {}

    def add(self, index: int, name: str, message) -> None:
        self.rows.setdefault(index, {}).setdefault(name, []).append(str(message))

    def __contains__(self, index: int) -> bool:
        return index in self.rows


@dataclass(slots=True)
class Planned:
    """A validated batch: a plan per valid spec (None for a bad one), the errors by index, and
    the organization context the plans were made in (the writer needs it)."""

    plans: list[Plan | None]
    errors: dict[int, dict[str, list[str]]]
    ctx: object
