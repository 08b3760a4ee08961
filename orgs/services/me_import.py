"""Onboarding at scale: MEs with their members and weights from a CSV, as an HR system exports it.

One line per member: `me_code,me_name,me_kind,leader,member,weight` (the ME's columns repeat on
each of its lines; `leader` may be empty). The file is checked whole first; any error refuses it
all, with each error by line, and nothing is written. Otherwise the MEs (incubating), their
memberships and one audit row per ME are written in a fixed number of bulk statements, whatever
the number of MEs.
"""

import csv
import io
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from config.uploads import csv_field_limit_raise
from orgs.codes import is_reserved_code
from orgs.models import AuditEntry, MEKind, Membership, Microenterprise
from orgs.services._common import as_weight, check_weight_total, outside_me_message, roles_outside_mes, today

COLUMNS = ["me_code", "me_name", "me_kind", "leader", "member", "weight"]
# the most lines one file may hold (10,000 people of the company and room to spare)
MAX_LINES = 50_000
# rows per INSERT of the bulk writes
BATCH = 2_000


class ImportRefused(ValidationError):
    """The file was refused: `line_errors` maps a line number (1 = the header) to its messages."""

    def __init__(self, line_errors: dict[int, list[str]]):
        self.line_errors = dict(sorted(line_errors.items()))
        super().__init__([f"{n}: {m}" for n, ms in self.line_errors.items() for m in ms])


def _rows(text: str) -> list[tuple[int, dict]]:
    csv_field_limit_raise()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused({1: [_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}]})
    rows = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            raise ImportRefused({number: [_("At most %(n)s lines per file.") % {"n": MAX_LINES}]})
        rows.append((number, {c: (row.get(c) or "").strip() for c in COLUMNS}))
    if not rows:
        raise ImportRefused({1: [_("The file has no lines after its header.")]})
    return rows


@transaction.atomic
def mes_import_csv(*, actor, text: str, reason: str = "") -> list[Microenterprise]:
    """Create every ME of the file with its members and weights, or nothing (ImportRefused)."""
    rows = _rows(text)
    errors: dict[int, list[str]] = defaultdict(list)
    by_me: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for number, row in rows:
        by_me[row["me_code"]].append((number, row))
    codes = [c for c in by_me if c]
    taken = set(Microenterprise.objects.filter(code__in=codes).values_list("code", flat=True))
    kinds = {k.code: k for k in MEKind.objects.all()}
    usernames = {r[k] for _n, r in rows for k in ("leader", "member") if r[k]}
    User = get_user_model()
    users = {u.get_username(): u for u in User.objects.filter(username__in=usernames)}
    outside = roles_outside_mes(u.pk for u in users.values())

    def refused(user, number) -> bool:
        if user is not None and user.pk in outside:
            errors[number].append(outside_me_message(user.get_username(), outside[user.pk]))
            return True
        return False

    plans = []
    for code, lines in by_me.items():
        first_line, first = lines[0]
        if not code or slugify(code) != code:
            errors[first_line].append(
                _("The ME code “%(code)s” must be letters, digits, - or _.") % {"code": code}
            )
            continue
        if is_reserved_code(code):
            errors[first_line].append(
                _("“%(code)s” is reserved for a page's address; choose another code.") % {"code": code}
            )
        if code in taken:
            errors[first_line].append(_("An ME with code “%(code)s” already exists.") % {"code": code})
        name = first["me_name"]
        if not name:
            errors[first_line].append(_("A name is required."))
        kind = kinds.get(first["me_kind"])
        if kind is None:
            errors[first_line].append(_("Unknown ME kind “%(kind)s”.") % {"kind": first["me_kind"]})
        leader = users.get(first["leader"]) if first["leader"] else None
        if first["leader"] and leader is None:
            errors[first_line].append(_("Unknown user “%(user)s”.") % {"user": first["leader"]})
        refused(leader, first_line)
        members = {}
        for number, row in lines:
            if (row["me_name"], row["me_kind"], row["leader"]) != (
                first["me_name"],
                first["me_kind"],
                first["leader"],
            ):
                errors[number].append(
                    _("This line's ME name, kind or leader differ from line %(n)s.") % {"n": first_line}
                )
            user = users.get(row["member"])
            if user is None:
                errors[number].append(_("Unknown user “%(user)s”.") % {"user": row["member"]})
                continue
            if refused(user, number):
                continue
            if user in members:
                errors[number].append(
                    _("%(user)s is listed twice in %(code)s.") % {"user": row["member"], "code": code}
                )
                continue
            try:
                members[user] = as_weight(row["weight"], field="weight")
            except ValidationError as exc:
                errors[number].extend(exc.messages)
        if members and not errors:
            try:
                check_weight_total(members.values(), field="weight")
            except ValidationError as exc:
                errors[first_line].extend(f"{code}: {m}" for m in exc.messages)
        plans.append((code, name, kind, leader, members))
    if errors:
        raise ImportRefused(errors)

    on = today()
    mes = Microenterprise.objects.bulk_create(
        [Microenterprise(code=c, name=n, kind=k, leader=lead, founded_on=on) for c, n, k, lead, _m in plans],
        batch_size=BATCH,
    )
    if any(me.pk is None for me in mes):  # backends without RETURNING
        mes = list(Microenterprise.objects.filter(code__in=[p[0] for p in plans]))
    by_code = {me.code: me for me in mes}
    Membership.objects.bulk_create(
        [
            Membership(me=by_code[code], user=user, weight=weight, joined_on=on)
            for code, _n, _k, _l, members in plans
            for user, weight in members.items()
        ],
        batch_size=BATCH,
    )
    _audit_bulk(actor=actor, plans=plans, by_code=by_code, reason=reason)
    return [by_code[p[0]] for p in plans]


def _audit_bulk(*, actor, plans, by_code, reason: str) -> None:
    """One audit row per ME, as `me.create` writes it (orgs.audit.audit_record), in bulk."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Microenterprise)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=actor if actor is not None and actor.is_authenticated else None,
                action="me.create",
                content_type=content_type,
                object_id=str(by_code[code].pk),
                object_repr=str(by_code[code])[:255],
                changes={
                    "kind": kind.code,
                    "leader": leader.get_username() if leader else None,
                    "members": {
                        "before": {},
                        "after": {u.get_username(): str(w) for u, w in members.items()},
                    },
                    "imported": True,
                },
                reason=reason or _("Imported from a CSV file."),
            )
            for code, _n, kind, leader, members in plans
        ],
        batch_size=BATCH,
    )
