"""User signals the metrics need (ratings with prior expectation, co-creation, stories,
ownership): validated set-based and written in bulk, the same path for one or 100,000."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.context import local_date, occurred_at_error, org_context_load, user_ref_error
from ledger.models import Source, UserSignal
from ledger.posting import BULK_BATCH, BatchValidationError
from ledger.posting import _insert_returning_ids as insert_returning_ids


@dataclass(slots=True)
class UserSignalSpec:
    kind: str = ""
    me_id: int | None = None
    emc_id: int | None = None
    scenario_id: int | None = None
    solution_id: int | None = None
    user_ref: str = ""
    occurred_at: dt.datetime | None = None
    rating: int | None = None
    expectation: int | None = None
    co_creation_kind: str | None = None
    products_owned: int | None = None
    related_purchase: bool | None = None
    note: str = ""
    idempotency_key: str | None = None
    import_batch_id: int | None = None


def _one_to_five(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def user_signals_validate(*, specs: list[UserSignalSpec], actor, now=None) -> dict[int, dict[str, list[str]]]:
    """Return {index: {field: [messages]}} for the bad specs (empty when all are valid)."""
    now = now or timezone.now()
    ctx = org_context_load(
        me_ids={s.me_id for s in specs},
        emc_ids={s.emc_id for s in specs},
        scenario_ids={s.scenario_id for s in specs},
        solution_ids={s.solution_id for s in specs},
    )
    errors: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for i, s in enumerate(specs):
        e = errors[i]
        if s.kind not in UserSignal.Kind.values:
            e["kind"].append(_("Use rating, co_creation, story or ownership."))
        message = user_ref_error(s.user_ref)
        if message:
            e["user_ref"].append(message)
        message = occurred_at_error(s.occurred_at, now=now)
        if message:
            e["occurred_at"].append(message)
        if s.me_id not in ctx.mes:
            e["me"].append(_("Choose a microenterprise."))
        elif not ctx.may_log(actor, s.me_id):
            e["me"].append(_("You may log signals only for microenterprises you lead."))
        if s.emc_id not in ctx.emcs:
            e["emc"].append(_("Choose an EMC."))
        elif not message and s.me_id in ctx.mes:
            on = local_date(s.occurred_at)
            if not ctx.me_in_emc(s.emc_id, s.me_id, on):
                e["emc"].append(_("The ME was not a node of this EMC on %(day)s.") % {"day": on})
        if s.scenario_id and (s.emc_id, s.scenario_id) not in ctx.emc_scenarios:
            e["scenario"].append(_("This EMC does not serve that scenario."))
        if s.solution_id and s.solution_id not in ctx.solutions:
            e["solution"].append(_("Unknown solution."))
        elif s.solution_id and s.scenario_id and ctx.solutions[s.solution_id] != s.scenario_id:
            e["solution"].append(_("This solution does not belong to the scenario."))
        if s.kind == UserSignal.Kind.RATING:
            if not _one_to_five(s.rating):
                e["rating"].append(_("Give a rating from 1 to 5."))
            if not _one_to_five(s.expectation):
                e["expectation"].append(_("Give the user's prior expectation from 1 to 5."))
        elif s.rating is not None or s.expectation is not None:
            e["rating"].append(_("Only a rating signal has a rating and an expectation."))
        if s.kind == UserSignal.Kind.CO_CREATION:
            if s.co_creation_kind not in UserSignal.CoCreationKind.values:
                e["co_creation_kind"].append(_("Use idea, test or crowd_streaming."))
        elif s.co_creation_kind:
            e["co_creation_kind"].append(_("Only a co-creation signal has a co-creation kind."))
        if s.kind == UserSignal.Kind.OWNERSHIP:
            if s.products_owned is None and s.related_purchase is None:
                e["products_owned"].append(_("Give the products owned or whether it was a related purchase."))
            if s.products_owned is not None and (
                not isinstance(s.products_owned, int) or s.products_owned < 0
            ):
                e["products_owned"].append(_("Give a whole number (0 or more)."))
        if s.kind == UserSignal.Kind.STORY and not s.note.strip():
            e["note"].append(_("Summarize the story the user shared."))
        if not e:
            del errors[i]
    return {i: dict(f) for i, f in errors.items()}


SIGNAL_FIELDS = [
    "kind",
    "me_id",
    "emc_id",
    "scenario_id",
    "solution_id",
    "user_ref",
    "occurred_at",
    "occurred_on",
    "rating",
    "expectation",
    "co_creation_kind",
    "products_owned",
    "related_purchase",
    "note",
    "logged_by_id",
    "logged_at",
    "source",
    "import_batch_id",
    "idempotency_key",
]


def user_signals_post(
    *, specs: list[UserSignalSpec], actor, source: str = Source.API, now=None, as_ids: bool = False
) -> list[UserSignal] | list[int]:
    """Validate all, then write all (bulk) or raise and write nothing. With `as_ids`, the rows
    go in as plain tuples (COPY on PostgreSQL, no model instance each) and their ids return."""
    now = now or timezone.now()
    errors = user_signals_validate(specs=specs, actor=actor, now=now)
    if errors:
        if len(specs) == 1:
            raise ValidationError(errors[0])
        raise BatchValidationError(errors)
    logged_by = actor if actor is not None and actor.is_authenticated else None
    if as_ids:
        tz = timezone.get_current_timezone()
        logged_by_id = logged_by.pk if logged_by is not None else None
        rows = [
            (
                s.kind,
                s.me_id,
                s.emc_id,
                s.scenario_id,
                s.solution_id,
                s.user_ref,
                s.occurred_at,
                local_date(s.occurred_at, tz),
                s.rating,
                s.expectation,
                s.co_creation_kind,
                s.products_owned,
                s.related_purchase,
                s.note[:500],
                logged_by_id,
                now,
                source,
                s.import_batch_id,
                s.idempotency_key,
            )
            for s in specs
        ]
        with transaction.atomic():
            return insert_returning_ids(UserSignal, SIGNAL_FIELDS, rows)
    with transaction.atomic():
        return UserSignal.objects.bulk_create(
            [
                UserSignal(
                    kind=s.kind,
                    me_id=s.me_id,
                    emc_id=s.emc_id,
                    scenario_id=s.scenario_id,
                    solution_id=s.solution_id,
                    user_ref=s.user_ref,
                    occurred_at=s.occurred_at,
                    occurred_on=local_date(s.occurred_at),
                    rating=s.rating,
                    expectation=s.expectation,
                    co_creation_kind=s.co_creation_kind,
                    products_owned=s.products_owned,
                    related_purchase=s.related_purchase,
                    note=s.note[:500],
                    logged_by=logged_by,
                    logged_at=now,
                    source=source,
                    import_batch_id=s.import_batch_id,
                    idempotency_key=s.idempotency_key,
                )
                for s in specs
            ],
            batch_size=BULK_BATCH,
        )
