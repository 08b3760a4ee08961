"""The Ecosystem Brand Index: each metric's headline scored 0-100 against its target, rolled up
to criterion, perspective and overall by weights, every contribution kept beside the score.

Scoring a headline v against target t: for a metric where more is better, min(100, 100 v / t)
(0 at most for a negative v); where less is better, 100 when v <= t, else 100 t / v. A metric
with no data is left out of its criterion and the weights of the others are taken in proportion
(the contributions show which were left out); a level with nothing scored has no data either.

Weights are per level and parent: the metrics of a criterion sum to 100, the criteria of a
perspective sum to 100, the three perspectives sum to 100. Targets and weights are data an
admin edits (scoring.services); a run copies them when it starts, so a change applies from the
next run.
"""

from decimal import ROUND_HALF_EVEN, Decimal

from orgs import metric_catalog as catalog
from scoring.models import IndexSetting
from scoring.registry import REGISTRY

HUNDRED = Decimal(100)
Q2 = Decimal("0.01")


def equal_weights(codes: list[str]) -> dict[str, Decimal]:
    """Weights with two decimals summing to exactly 100, the remainder to the first codes."""
    n = len(codes)
    base = (HUNDRED / n).quantize(Q2, rounding="ROUND_DOWN")
    left = int((HUNDRED - base * n) / Q2)
    return {code: base + (Q2 if i < left else 0) for i, code in enumerate(codes)}


def default_config() -> dict:
    metrics = {}
    for criterion in catalog.CRITERIA:
        codes = [e.code for e in catalog.criterion_metrics(criterion)]
        for code, weight in equal_weights(codes).items():
            metrics[code] = {"weight": weight, "target": REGISTRY[code].target}
    criteria = {}
    for perspective in catalog.PERSPECTIVES:
        criteria.update(equal_weights([c.code for c in catalog.perspective_criteria(perspective)]))
    return {
        "metrics": metrics,
        "criteria": criteria,
        "perspectives": equal_weights(list(catalog.PERSPECTIVES)),
    }


def index_config() -> dict:
    """The targets and weights in force: the defaults, overridden by what admins set."""
    config = default_config()
    for row in IndexSetting.objects.readable():
        if row.level == IndexSetting.Level.METRIC and row.code in config["metrics"]:
            target = row.stored_target
            if target is None:  # unset, or not a number the field holds: the default applies
                target = config["metrics"][row.code]["target"]
            config["metrics"][row.code] = {"weight": row.weight, "target": target}
        elif row.level == IndexSetting.Level.CRITERION and row.code in config["criteria"]:
            config["criteria"][row.code] = row.weight
        elif row.level == IndexSetting.Level.PERSPECTIVE and row.code in config["perspectives"]:
            config["perspectives"][row.code] = row.weight
    return config


def config_as_json(config: dict) -> dict:
    """The config as text with fixed decimals (the same from every database)."""
    w = lambda v: str(Decimal(v).quantize(Q2))  # noqa: E731
    t = lambda v: str(Decimal(v).quantize(Decimal("0.0001")))  # noqa: E731
    return {
        "metrics": {
            c: {"weight": w(v["weight"]), "target": t(v["target"])} for c, v in config["metrics"].items()
        },
        "criteria": {c: w(x) for c, x in config["criteria"].items()},
        "perspectives": {c: w(x) for c, x in config["perspectives"].items()},
    }


def config_from_json(data: dict) -> dict:
    return {
        "metrics": {
            c: {"weight": Decimal(v["weight"]), "target": Decimal(v["target"])}
            for c, v in data["metrics"].items()
        },
        "criteria": {c: Decimal(w) for c, w in data["criteria"].items()},
        "perspectives": {c: Decimal(w) for c, w in data["perspectives"].items()},
    }


def score(value: Decimal | None, target: Decimal, direction: str) -> Decimal | None:
    if value is None or not target:
        return None
    if direction == catalog.DOWN:
        raw = HUNDRED if value <= target else HUNDRED * target / value
    else:
        raw = max(Decimal(0), min(HUNDRED, HUNDRED * value / target))
    return raw.quantize(Q2, rounding=ROUND_HALF_EVEN)


def _roll(parts: dict[str, tuple[Decimal | None, Decimal]]) -> tuple[Decimal | None, dict]:
    """Weighted mean of the scored parts {code: (score, weight)}, with each contribution."""
    scored = {c: (s, w) for c, (s, w) in parts.items() if s is not None}
    total = sum((w for _s, w in scored.values()), Decimal(0))
    contributions = {}
    for code, (s, w) in parts.items():
        if s is None:
            contributions[code] = {"score": None, "weight": str(w), "effective_weight": "0", "points": None}
            continue
        effective = w * HUNDRED / total
        contributions[code] = {
            "score": str(s),
            "weight": str(w),
            "effective_weight": str(effective.quantize(Q2, rounding=ROUND_HALF_EVEN)),
            "points": str((s * effective / HUNDRED).quantize(Q2, rounding=ROUND_HALF_EVEN)),
        }
    if not scored:
        return None, contributions
    value = sum((s * w for s, w in scored.values()), Decimal(0)) / total
    return value.quantize(Q2, rounding=ROUND_HALF_EVEN), contributions


def index_compute(values: dict[str, Decimal | None], config: dict) -> dict:
    """From the headlines {metric code: value} of one subject: {"metrics": {code: score},
    "criteria": {code: (score, contributions)}, "perspectives": {...}, "overall": (score, contributions)}."""
    metric_scores = {
        code: score(values.get(code), cfg["target"], catalog.metric(code).direction)
        for code, cfg in config["metrics"].items()
    }
    criteria = {}
    for code in catalog.CRITERIA:
        parts = {
            e.code: (metric_scores[e.code], config["metrics"][e.code]["weight"])
            for e in catalog.criterion_metrics(code)
        }
        criteria[code] = _roll(parts)
    perspectives = {}
    for code in catalog.PERSPECTIVES:
        parts = {
            c.code: (criteria[c.code][0], config["criteria"][c.code])
            for c in catalog.perspective_criteria(code)
        }
        perspectives[code] = _roll(parts)
    overall = _roll({code: (perspectives[code][0], w) for code, w in config["perspectives"].items()})
    return {"metrics": metric_scores, "criteria": criteria, "perspectives": perspectives, "overall": overall}
