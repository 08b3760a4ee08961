"""Inquiries on payout lines: raised by the line's member or the ME's leader, answered by finance
(or the raiser), resolved by finance with a reason. Each step is audited in its transaction."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import ConflictError
from config.values import text_clean
from orgs.audit import audit_record
from orgs.rules import is_finance
from payouts.models import PayoutInquiry, PayoutInquiryMessage, PayoutLine

TEXT_MAX = 2000


def line_is_own(user, line: PayoutLine) -> bool:
    """The person's own member line, or a line of an ME they lead."""
    if not user.is_authenticated:
        return False
    if line.kind == PayoutLine.Kind.MEMBER and line.user_id == user.pk:
        return True
    return line.me_id is not None and line.me.leader_id == user.pk


@transaction.atomic
def inquiry_raise(*, actor, line: PayoutLine, text: str) -> PayoutInquiry:
    if actor is None or not line_is_own(actor, line):
        raise PermissionDenied(_("You may raise an inquiry only on your own line."))
    body = text_clean(text, field="text", max_length=TEXT_MAX, multiline=True, required=True)
    PayoutLine.objects.select_for_update(of=("self",)).filter(pk=line.pk).first()  # one open thread per line
    already = PayoutInquiry.objects.filter(line=line, status=PayoutInquiry.Status.OPEN).first()
    if already is not None:
        raise ConflictError(
            _("Inquiry #%(n)s on this line is open; write in its thread.") % {"n": already.pk},
            params={"inquiry": already.pk},
        )
    inquiry = PayoutInquiry.objects.create(line=line, report_id=line.report_id, raised_by=actor)
    PayoutInquiryMessage.objects.create(inquiry=inquiry, author=actor, text=body)
    audit_record(actor=actor, action="payouts.inquiry_raise", target=inquiry, changes={"line": line.key})
    return inquiry


def _open(inquiry: PayoutInquiry) -> PayoutInquiry:
    locked = (
        PayoutInquiry.objects.select_for_update(of=("self",)).select_related("line__me").get(pk=inquiry.pk)
    )
    if locked.status != PayoutInquiry.Status.OPEN:
        raise ConflictError(_("This inquiry is resolved."))
    return locked


@transaction.atomic
def inquiry_reply(*, actor, inquiry: PayoutInquiry, text: str) -> PayoutInquiryMessage:
    inquiry = _open(inquiry)
    if actor is None or not (is_finance(actor) or inquiry.raised_by_id == actor.pk):
        raise PermissionDenied(_("Only finance or the person who asked may reply."))
    body = text_clean(text, field="text", max_length=TEXT_MAX, multiline=True, required=True)
    message = PayoutInquiryMessage.objects.create(inquiry=inquiry, author=actor, text=body)
    audit_record(actor=actor, action="payouts.inquiry_reply", target=inquiry)
    return message


@transaction.atomic
def inquiry_resolve(*, actor, inquiry: PayoutInquiry, reason: str) -> PayoutInquiry:
    if actor is None or not is_finance(actor):
        raise PermissionDenied(_("Only finance resolves an inquiry."))
    inquiry = _open(inquiry)
    reason = text_clean(reason, field="reason", max_length=TEXT_MAX, multiline=True, required=True)
    inquiry.status = PayoutInquiry.Status.RESOLVED
    inquiry.resolved_by, inquiry.resolved_at, inquiry.resolution = actor, timezone.now(), reason
    inquiry.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_record(actor=actor, action="payouts.inquiry_resolve", target=inquiry, reason=reason)
    return inquiry


def inquiry_visible(user, inquiry: PayoutInquiry) -> bool:
    return (
        user.has_perm("payouts.view_reports")
        or inquiry.raised_by_id == user.pk
        or line_is_own(user, inquiry.line)
    )
