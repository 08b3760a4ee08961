"""Scenarios, categories, solutions and their versions; plain reference rows saved with an audit row."""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from config.errors import ConflictError
from orgs.audit import audit_record
from orgs.models import Category, Industry, Microenterprise, Partner, Scenario, Solution, SolutionVersion
from orgs.services._common import today


def _check_code(model, code: str, label: str) -> None:
    if not code:
        raise ValidationError({"code": _("A code is required.")})
    if model.objects.filter(code=code).exists():
        raise ConflictError(
            {"code": _("A %(what)s with code “%(code)s” already exists.") % {"what": label, "code": code}}
        )


def _check_name(name: str) -> str:
    if not (name or "").strip():
        raise ValidationError({"name": _("A name is required.")})
    return name.strip()


@transaction.atomic
def scenario_create(*, actor, code: str, name: str, description: str = "") -> Scenario:
    _check_code(Scenario, code, _("scenario"))
    scenario = Scenario.objects.create(code=code, name=_check_name(name), description=description)
    audit_record(actor=actor, action="scenario.create", target=scenario, changes={"code": code})
    return scenario


@transaction.atomic
def category_create(
    *, actor, code: str, name: str, is_core: bool = True, industry: Industry | None = None
) -> Category:
    """Create a category; `is_core` marks the organizer's original scope (non-core = ecosystem revenue)."""
    _check_code(Category, code, _("category"))
    category = Category.objects.create(code=code, name=_check_name(name), is_core=is_core, industry=industry)
    audit_record(
        actor=actor,
        action="category.create",
        target=category,
        changes={"is_core": is_core, "industry": industry.code if industry else None},
    )
    return category


@transaction.atomic
def solution_create(
    *,
    actor,
    scenario: Scenario,
    code: str,
    name: str,
    categories: Sequence[Category],
    provider_mes: Sequence[Microenterprise] = (),
    provider_partners: Sequence[Partner] = (),
    first_version_on: dt.date | None = None,
    notes: str = "",
) -> Solution:
    """Create a scenario solution bundling ≥1 category from ≥1 provider, with its version 1."""
    _check_code(Solution, code, _("solution"))
    name = _check_name(name)
    if not categories:
        raise ValidationError({"categories": _("A solution bundles at least one category.")})
    if not provider_mes and not provider_partners:
        raise ValidationError({"provider_mes": _("A solution is provided by at least one ME or partner.")})
    solution = Solution.objects.create(scenario=scenario, code=code, name=name)
    solution.categories.set(categories)
    solution.provider_mes.set(provider_mes)
    solution.provider_partners.set(provider_partners)
    SolutionVersion.objects.create(
        solution=solution, number=1, released_on=first_version_on or today(), notes=notes
    )
    audit_record(
        actor=actor,
        action="solution.create",
        target=solution,
        changes={
            "scenario": scenario.code,
            "categories": [c.code for c in categories],
            "provider_mes": [m.code for m in provider_mes],
            "provider_partners": [p.code for p in provider_partners],
        },
    )
    return solution


@transaction.atomic
def solution_version_add(
    *, solution: Solution, actor, released_on: dt.date | None = None, notes: str = ""
) -> SolutionVersion:
    """Record the next iteration of a solution; iterations are numbered and dated in order."""
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    released_on = released_on or today()
    last = solution.versions.aggregate(number=Max("number"), on=Max("released_on"))
    if last["on"] is not None and released_on < last["on"]:
        raise ValidationError(
            {
                "released_on": _("Version %(n)s was released on %(on)s; a new version cannot be older.")
                % {"n": last["number"], "on": last["on"]}
            }
        )
    version = SolutionVersion.objects.create(
        solution=solution, number=(last["number"] or 0) + 1, released_on=released_on, notes=notes
    )
    audit_record(
        actor=actor,
        action="solution.version_add",
        target=solution,
        changes={"version": version.number, "released_on": released_on.isoformat()},
    )
    return version


@transaction.atomic
def reference_save(
    *, actor, instance: models.Model, changed: Sequence[str] = (), reason: str = ""
) -> models.Model:
    """Save a reference row without a lifecycle (lookup lists, scenarios, categories...) from the
    admin, with its audit row, so no interface changes the organization silently."""
    adding = instance._state.adding
    instance.full_clean()
    instance.save()
    audit_record(
        actor=actor,
        action=f"{instance._meta.model_name}.{'create' if adding else 'update'}",
        target=instance,
        changes={"fields": sorted(changed)},
        reason=reason,
    )
    return instance
