"""Judging writes: the night's step (`night_judge`), the rules (`rule_save`), the decisions on
proposals (`proposal_accept`, `proposal_dismiss`) and appeals (`appeal_file`, `appeal_decide`).

Each owns its transaction and writes its audit row; accepting runs the partner lifecycle
(orgs.services.partner_transition / partner_tier_change), so the partner's timeline shows the
decision with the evidence. `night_judge` runs when scoring says a night is done and is safe to
run twice for one run: the scorecards of the date are rewritten, proposals are keyed by cause."""

import datetime as dt
import json
import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from config import values
from config.errors import ConflictError
from judging.matrix import matrix_compute
from judging.models import Appeal, Notice, Proposal, Rule
from judging.proposals import APPLIES_TO, proposals_make, supersede_moved_on
from judging.scorecards import scorecards_compute
from orgs import services as org_services
from orgs.audit import audit_record
from orgs.codes import check_code_not_reserved
from orgs.models import Partner, PartnerTier
from orgs.services._common import require_reason, today
from scoring.models import NightlyRun

log = logging.getLogger(__name__)

# what each headline figure can be: a threshold outside (or on the edge that can never be
# crossed) is refused, since the rule could never fire
METRIC_BOUNDS = {
    Rule.Metric.REVENUE_GROWTH: (Decimal(-100), Decimal(100000)),
    Rule.Metric.VALUE_ADDED: (Decimal(-100), Decimal(100000)),
    Rule.Metric.MARGIN: (Decimal(-4), Decimal(4)),  # ratings and expectations are 1 to 5
    Rule.Metric.REFUND_RATE: (Decimal(0), Decimal(100)),
    Rule.Metric.CO_SHARE: (Decimal(0), Decimal(100)),
}
MAX_SUSTAINED_DAYS = 365
MAX_APPEAL_DAYS = 365
MAX_GRACE_DAYS = 3650
RULE_FIELDS = (
    "name",
    "action",
    "metric",
    "comparison",
    "threshold",
    "sustained_days",
    "min_ratings",
    "grace_days",
    "appeal_days",
    "active",
)


# --- the night --------------------------------------------------------------------------------


def night_judge(*, run_id: int) -> dict:
    """The judging steps of a finished, current nightly run: the partner scorecards, the
    proposals, the ME matrix. A run not done, or superseded by a restatement since, is skipped (its successor
    sends its own signal)."""
    run = NightlyRun.objects.filter(pk=run_id).first()
    if run is None or run.status != NightlyRun.Status.DONE or run.superseded:
        return {"run_id": run_id, "skipped": True}
    scorecards = scorecards_compute(run_id=run.pk)
    proposals = proposals_make(day=run.run_date)
    points = matrix_compute(run_id=run.pk)
    log.info(
        "judging %s (run %s): %s scorecards, %s, %s MEs placed",
        run.run_date,
        run.pk,
        scorecards,
        proposals,
        points,
    )
    return {
        "run_id": run.pk,
        "run_date": run.run_date.isoformat(),
        "scorecards": scorecards,
        "matrix_points": points,
        **proposals,
    }


# --- rules ------------------------------------------------------------------------------------


def _whole(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError({field: _("Enter a whole number.")}) from None
    if not low <= value <= high:
        raise ValidationError(
            {field: _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}}
        )
    return value


def rule_check(data: dict) -> dict:
    """The rule's fields, checked together: every error by field, nothing half right."""
    errors, out = {}, {}

    defaults = {"min_ratings": 0, "grace_days": 0, "appeal_days": 14}

    def check(field, fn):
        value = data.get(field)
        if value in (None, "") and field in defaults:
            value = defaults[field]
        try:
            out[field] = fn(value)
        except ValidationError as exc:
            errors[field] = exc.messages

    def choice(choices):
        def parse(value):
            if value not in choices.values:
                raise ValidationError(_("Choose one of: %(c)s.") % {"c": ", ".join(choices.values)})
            return value

        return parse

    def name(value):
        value = (value or "").strip()
        if not value or len(value) > 200:
            raise ValidationError(_("A name of 1 to 200 characters is required."))
        return value

    def threshold(value):
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite() or number != number.quantize(Decimal("0.01")):
            raise ValidationError(_("Enter a number with at most two decimals."))
        return number

    check("name", name)
    check("action", choice(Rule.Action))
    check("metric", choice(Rule.Metric))
    check("comparison", choice(Rule.Comparison))
    check("threshold", threshold)
    for field, low, high in (
        ("sustained_days", 1, MAX_SUSTAINED_DAYS),
        ("min_ratings", 0, 1_000_000),
        ("grace_days", 0, MAX_GRACE_DAYS),
        ("appeal_days", 1, MAX_APPEAL_DAYS),
    ):
        check(field, lambda v, f=field, lo=low, hi=high: _whole(v, f, lo, hi))
    out["active"] = bool(data.get("active", True))
    if "metric" in out and "threshold" in out and "comparison" in out:
        low, high = METRIC_BOUNDS[out["metric"]]
        t = out["threshold"]
        never = (out["comparison"] == Rule.Comparison.BELOW and t <= low) or (
            out["comparison"] == Rule.Comparison.ABOVE and t >= high
        )
        if t < low or t > high or never:
            errors["threshold"] = [
                _("This figure lies from %(low)s to %(high)s: a threshold of %(t)s could never be crossed.")
                % {"low": low, "high": high, "t": t}
            ]
    if out.get("grace_days") and out.get("action") not in (Rule.Action.TIER_UP, Rule.Action.TIER_DOWN):
        errors["grace_days"] = [_("A grace period applies to tier rules only.")]
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def rule_save(*, actor, data: dict, rule: Rule | None = None, code: str = "") -> Rule:
    """Create (with `code`) or change a rule; validated whole, audited with what changed."""
    clean = rule_check(data)
    if rule is None:
        code = slugify(code or "")
        if not code:
            raise ValidationError({"code": _("A code (letters, digits, dashes) is required.")})
        check_code_not_reserved(code)
        if Rule.objects.filter(code=code).exists():
            raise ConflictError({"code": _("A rule with code “%(code)s” already exists.") % {"code": code}})
        rule = Rule.objects.create(code=code, updated_by=_user(actor), **clean)
        audit_record(actor=actor, action="judging.rule_create", target=rule, changes=_jsonable(clean))
        return rule
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    changes = {f: [_j(getattr(rule, f)), _j(clean[f])] for f in RULE_FIELDS if getattr(rule, f) != clean[f]}
    if changes:
        for f in RULE_FIELDS:
            setattr(rule, f, clean[f])
        rule.updated_by = _user(actor)
        rule.save()
        audit_record(actor=actor, action="judging.rule_update", target=rule, changes=changes)
    return rule


def _j(value):
    return str(value) if isinstance(value, Decimal) else value


def _jsonable(d: dict) -> dict:
    return {k: _j(v) for k, v in d.items()}


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- decisions ----------------------------------------------------------------------------------


def _evidence_text(proposal: Proposal) -> str:
    return json.dumps(proposal.evidence, ensure_ascii=False, sort_keys=True)


def _notify(proposal: Proposal, *, subject: str, body: str) -> Notice:
    """Tell the partner in the app and, after commit, by mail (its contact and its users)."""
    notice = Notice.objects.create(partner=proposal.partner, proposal=proposal, subject=subject, body=body)
    partner = proposal.partner
    recipients = sorted(
        {partner.contact_email}
        | set(partner.users.exclude(user__email="").values_list("user__email", flat=True)) - {""}
    )
    if recipients:
        transaction.on_commit(
            lambda: send_mail(
                subject=subject, message=body, from_email=None, recipient_list=recipients, fail_silently=True
            )
        )
    return notice


def _open_locked(proposal: Proposal, *allowed: str) -> Proposal:
    proposal = Proposal.objects.select_for_update().select_related("partner", "rule").get(pk=proposal.pk)
    if proposal.status not in allowed:
        raise ConflictError(
            {
                "status": _("This proposal is %(status)s: nothing to decide.")
                % {"status": proposal.get_status_display()}
            }
        )
    return proposal


@transaction.atomic
def proposal_accept(
    *, proposal: Proposal, actor, reason: str = "", effective_on: dt.date | None = None
) -> Proposal:
    """Accept an open proposal: run the partner's lifecycle or tier change with the evidence,
    tell the partner, open the appeal window."""
    proposal = _open_locked(proposal, Proposal.Status.OPEN)
    partner = Partner.objects.get(pk=proposal.partner_id)
    reason = (reason or "").strip() or _("Proposed by rule “%(rule)s” from the users' figures.") % {
        "rule": proposal.rule.name
    }
    if proposal.kind == Proposal.Kind.STATE:
        if partner.state != proposal.from_value:
            raise ConflictError({"status": _("The partner's state has moved on since this proposal.")})
        org_services.partner_transition(
            partner=partner,
            to_state=proposal.to_value,
            actor=actor,
            reason=reason,
            evidence=_evidence_text(proposal),
            effective_on=effective_on,
        )
    else:
        if partner.tier.code != proposal.from_value:
            raise ConflictError({"status": _("The partner's tier has moved on since this proposal.")})
        org_services.partner_tier_change(
            partner=partner,
            tier=PartnerTier.objects.get(code=proposal.to_value),
            actor=actor,
            reason=reason,
            evidence=_evidence_text(proposal),
            effective_on=effective_on,
        )
    decided = today()
    proposal.status = Proposal.Status.ACCEPTED
    proposal.decided_by, proposal.decided_at, proposal.decision_reason = _user(actor), timezone.now(), reason
    proposal.appeal_until = decided + dt.timedelta(days=proposal.rule.appeal_days)
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "appeal_until"])
    supersede_moved_on()  # the partner's other open proposals were made in the state it just left
    audit_record(
        actor=actor,
        action="judging.proposal_accept",
        target=proposal,
        reason=reason,
        changes={"partner": partner.code, "action": proposal.action, "to": proposal.to_value},
    )
    ev = proposal.evidence
    _notify(
        proposal,
        subject=_("Decision about %(partner)s: %(action)s")
        % {"partner": partner.name, "action": proposal.get_action_display()},
        body=_(
            "%(action)s, decided on %(day)s: %(reason)s\n\nEvidence: %(metric)s %(comparison)s %(threshold)s on "
            "every night from %(start)s to %(end)s.\n\nYou may appeal in the app until %(until)s."
        )
        % {
            "action": proposal.get_action_display(),
            "day": decided,
            "reason": reason,
            "metric": ev.get("metric"),
            "comparison": ev.get("comparison"),
            "threshold": ev.get("threshold"),
            "start": ev.get("from"),
            "end": ev.get("to"),
            "until": proposal.appeal_until,
        },
    )
    return proposal


@transaction.atomic
def proposal_dismiss(*, proposal: Proposal, actor, reason: str) -> Proposal:
    """Dismiss an open proposal, saying why (the partner's state stays as it is)."""
    reason = require_reason(reason)
    proposal = _open_locked(proposal, Proposal.Status.OPEN)
    proposal.status = Proposal.Status.DISMISSED
    proposal.decided_by, proposal.decided_at, proposal.decision_reason = _user(actor), timezone.now(), reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(actor=actor, action="judging.proposal_dismiss", target=proposal, reason=reason)
    return proposal


@transaction.atomic
def appeal_file(*, proposal: Proposal, actor, text: str) -> Appeal:
    """A partner user appeals an accepted proposal about its partner within the appeal window:
    the decision reopens for an admin."""
    if not actor.has_perm("judging.appeal", proposal):
        raise PermissionDenied
    text = require_reason(text, field="text")
    if len(text) > 2000:
        raise ValidationError({"text": _("At most 2,000 characters.")})
    proposal = _open_locked(proposal, Proposal.Status.ACCEPTED)
    if proposal.appeal_until is None or today() > proposal.appeal_until:
        raise ConflictError({"text": _("The time to appeal this decision has passed.")})
    if Appeal.objects.filter(proposal=proposal).exists():
        raise ConflictError({"text": _("This decision has already been appealed.")})
    appeal = Appeal.objects.create(proposal=proposal, by=actor, text=text)
    proposal.status = Proposal.Status.APPEALED
    proposal.save(update_fields=["status"])
    audit_record(actor=actor, action="judging.appeal_file", target=proposal, reason=text)
    return appeal


# the way back of an accepted change, where the lifecycle allows one
UNDO = {Rule.Action.WATCH: Partner.State.ACTIVE, Rule.Action.PHASE_OUT: Partner.State.APPLIED}


@transaction.atomic
def appeal_decide(*, proposal: Proposal, actor, outcome: str, reason: str) -> Appeal:
    """Decide an appeal again: uphold the decision, or overturn it (the partner goes back where
    the lifecycle allows: on watch -> active; phased out -> applied, to be admitted anew; a tier
    change -> the tier before)."""
    reason = require_reason(reason)
    if outcome not in ("upheld", "overturned"):
        raise ValidationError({"outcome": _("Choose upheld or overturned.")})
    proposal = _open_locked(proposal, Proposal.Status.APPEALED)
    appeal = Appeal.objects.select_for_update().get(proposal=proposal)
    partner = Partner.objects.get(pk=proposal.partner_id)
    if outcome == "overturned":
        if proposal.kind == Proposal.Kind.TIER:
            org_services.partner_tier_change(
                partner=partner,
                tier=PartnerTier.objects.get(code=proposal.from_value),
                actor=actor,
                reason=reason,
            )
        elif proposal.action in UNDO and partner.state == proposal.to_value:
            org_services.partner_transition(
                partner=partner, to_state=UNDO[proposal.action], actor=actor, reason=reason
            )
        elif partner.state != proposal.to_value:
            raise ConflictError(
                {"outcome": _("The partner's state has moved on: it cannot be turned back here.")}
            )
        proposal.status = Proposal.Status.OVERTURNED
    else:
        proposal.status = Proposal.Status.ACCEPTED
    proposal.save(update_fields=["status"])
    appeal.outcome, appeal.decided_by, appeal.decided_at, appeal.decision_reason = (
        outcome,
        _user(actor),
        timezone.now(),
        reason,
    )
    appeal.save(update_fields=["outcome", "decided_by", "decided_at", "decision_reason"])
    audit_record(actor=actor, action=f"judging.appeal_{outcome}", target=proposal, reason=reason)
    _notify(
        proposal,
        subject=_("Your appeal about %(partner)s was %(outcome)s")
        % {"partner": partner.name, "outcome": _("upheld") if outcome == "upheld" else _("overturned")},
        body=reason,
    )
    return appeal


__all__ = [
    "APPLIES_TO",
    "appeal_decide",
    "appeal_file",
    "night_judge",
    "proposal_accept",
    "proposal_dismiss",
    "rule_check",
    "rule_save",
]


# --- the matrix's quadrant bands ----------------------------------------------------------------

BAND_MAX = Decimal(1000)  # % of target: beyond ten times the target a band separates nothing


def matrix_bands_check(data: dict) -> dict:
    """The bands, checked together: each a % of target from 0 to 1000 with at most two decimals."""
    errors, out = {}, {}
    for field in ("x_band", "y_band"):
        raw = data.get(field)
        try:  # decimal text, as money: no exponent, no JSON number
            value = raw if isinstance(raw, Decimal) else values.decimal_text_parse(raw, field=field)
        except ValidationError:
            errors[field] = [_("Enter a number (a % of target such as 100).")]
            continue
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            errors[field] = [_("Enter a number with at most two decimals.")]
        elif not 0 <= value <= BAND_MAX:
            errors[field] = [
                _("A band is a %% of target from 0 to %(max)s; %(v)s is outside.")
                % {"max": BAND_MAX, "v": value}
            ]
        else:
            out[field] = value
    note = (data.get("note") or "").strip()
    if len(note) > 255:
        errors["note"] = [_("Keep the note under 255 characters.")]
    out["note"] = note
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def matrix_bands_save(*, actor, data: dict, effective_from: dt.date | None = None):
    """Save the quadrant bands as a new version in force from the next night (tomorrow), audited
    with the bands it replaces. Versions are ordered: a version may not start on or before the
    latest one's start (saving twice on a day replaces that day's pending version)."""
    from judging.matrix import bands_on
    from judging.models import MatrixBands

    clean = matrix_bands_check(data)
    start = effective_from or today() + dt.timedelta(days=1)
    if start <= today():
        raise ValidationError({"effective_from": _("Bands apply from the next night: choose a later day.")})
    latest = MatrixBands.objects.select_for_update().order_by("-effective_from").first()
    if latest is not None and latest.effective_from > start:
        raise ValidationError(
            {
                "effective_from": _("A version already starts on %(day)s: a new one must start after it.")
                % {"day": latest.effective_from}
            }
        )
    before = bands_on(start)
    if latest is not None and latest.effective_from == start:
        version = latest
        for f, v in clean.items():
            setattr(version, f, v)
        version.created_by = _user(actor)
        version.save()
    else:
        version = MatrixBands.objects.create(effective_from=start, created_by=_user(actor), **clean)
    audit_record(
        actor=actor,
        action="judging.matrix_bands_save",
        target=version,
        changes={
            "x_band": [str(before[0]), str(clean["x_band"])],
            "y_band": [str(before[1]), str(clean["y_band"])],
            "effective_from": str(start),
        },
        reason=clean["note"],
    )
    return version
