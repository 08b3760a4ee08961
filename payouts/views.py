"""Finance pages (reports, a report with its totals and lines, approval actions, the CSV, the
reconciliation) and a person's own statement. Thin: parse, check, call a service or selector."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.errors import ConflictError
from config.exports import csv_download
from config.web import paginate, rule_required
from ledger.models import Contract
from payouts import exports, selectors, services
from payouts.models import PayoutInquiry, PayoutLine, PayoutReport
from payouts.services import inquiries


class ReportFilter(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", "—"), *PayoutReport.Status.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Period"), required=False, choices=[("", "—"), *Contract.Period.choices]
    )


class LineFilter(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Lines"), required=False, choices=[("", "—"), *PayoutLine.Kind.choices]
    )
    emc = forms.CharField(label=gettext_lazy("EMC code"), required=False, max_length=50)


@login_required
def home(request):
    if request.user.has_perm("payouts.view_reports"):
        return redirect("payouts:report-list")
    return redirect("payouts:statement")


@rule_required("payouts.view_reports")
def report_list(request):
    form = ReportFilter(request.GET or None)
    reports = PayoutReport.objects.select_related("period").order_by("-period__start", "period__kind")
    status = 200
    if form.is_bound and form.is_valid():
        if form.cleaned_data["status"]:
            reports = reports.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["kind"]:
            reports = reports.filter(period__kind=form.cleaned_data["kind"])
    elif form.is_bound:
        status = 400
        reports = reports.none()
    page, query = paginate(request, reports, per_page=30)
    return render(
        request, "payouts/report_list.html", {"page": page, "query": query, "form": form}, status=status
    )


def _detail_context(request, report):
    form = LineFilter(request.GET or None)
    lines = PayoutLine.objects.filter(report=report).select_related("emc", "me", "user", "partner")
    if form.is_bound and form.is_valid():
        if form.cleaned_data["kind"]:
            lines = lines.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["emc"]:
            lines = lines.filter(emc__code=form.cleaned_data["emc"])
    elif form.is_bound:
        lines = lines.none()
    page, query = paginate(request, lines.order_by("emc__code", "kind", "key"), per_page=100)
    user = request.user
    period_over = timezone.localdate() > report.period.end
    return {
        "report": report,
        "period": report.period,
        "totals": selectors.report_totals(report),
        "approvals": report.approvals.select_related("approved_by"),
        "page": page,
        "query": query,
        "form": form,
        "period_over": period_over,
        "submittable_from": report.period.end + dt.timedelta(days=1),
        "can_submit": user.has_perm("payouts.submit") and report.status == PayoutReport.Status.DRAFT,
        "can_approve": user.has_perm("payouts.approve")
        and report.status == PayoutReport.Status.SUBMITTED
        and report.submitted_by_id != user.pk
        and not report.approvals.filter(approved_by=user).exists(),
        "own_submission": user.has_perm("payouts.approve")
        and report.status == PayoutReport.Status.SUBMITTED
        and report.submitted_by_id == user.pk,
        "can_lock": user.has_perm("payouts.lock") and report.status == PayoutReport.Status.APPROVED,
        "can_export": user.has_perm("payouts.export"),
        "can_compute": user.has_perm("payouts.compute") and report.status == PayoutReport.Status.DRAFT,
        "inquiries": report.inquiries.select_related("line__me", "raised_by").order_by(
            "status", "-raised_at"
        ),
        "can_return": user.has_perm("payouts.submit")
        and report.status in (PayoutReport.Status.SUBMITTED, PayoutReport.Status.APPROVED),
    }


def _report(pk) -> PayoutReport:
    return get_object_or_404(PayoutReport.objects.select_related("period"), pk=pk)


@rule_required("payouts.view_reports")
def report_detail(request, pk):
    report = _report(pk)
    status = 400 if request.GET and not LineFilter(request.GET).is_valid() else 200
    return render(request, "payouts/report_detail.html", _detail_context(request, report), status=status)


ACTIONS = {
    "submit": (services.payout_report_submit, gettext_lazy("The report is submitted for approval.")),
    "approve": (services.payout_report_approve, gettext_lazy("Your approval is recorded.")),
    "lock": (services.payout_report_lock, gettext_lazy("The report is locked; its payables are posted.")),
    "return": (services.payout_report_return, gettext_lazy("The report is back in draft.")),
}


@rule_required("payouts.view_reports")
@require_POST
def report_action(request, pk, action):
    report = _report(pk)
    if action == "compute":
        run, done = services.payout_report_compute, _("The draft is recomputed from the ledger.")
        call = lambda: run(report=report, actor=request.user)  # noqa: E731
    elif action in ACTIONS:
        run, done = ACTIONS[action]
        call = lambda: run(actor=request.user, report=report)  # noqa: E731
    else:
        return render(request, "payouts/report_detail.html", _detail_context(request, report), status=404)
    try:
        call()
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
        status = 403
    except ConflictError as exc:
        messages.error(request, " ".join(exc.messages))
        status = 409
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        status = 400
    else:
        messages.success(request, str(done))
        return redirect("payouts:report-detail", pk=report.pk)
    report.refresh_from_db()
    return render(request, "payouts/report_detail.html", _detail_context(request, report), status=status)


@rule_required("payouts.export")
def report_export(request, pk):
    report = _report(pk)
    name = f"payouts-{report.pk}-{report.period.kind}-{report.period.start}-{report.period.currency}.csv"
    return csv_download(exports.report_csv_rows(report), filename=name, stream=True)


@rule_required("payouts.export")
def report_export_xlsx(request, pk):
    report = _report(pk)
    return exports.file_response(
        exports.report_xlsx(report), filename=exports.export_name(report, ".xlsx"), content_type=exports.XLSX
    )


@rule_required("payouts.view_statement")
def statement_me_pdf(request, pk, me_id):
    name, content = exports.statement_file(request.user, _report(pk), me_id=me_id)
    return exports.file_response(content, filename=name, content_type="application/pdf")


@rule_required("payouts.view_statement")
def statement_member_pdf(request, pk, user_id):
    name, content = exports.statement_file(request.user, _report(pk), user_id=user_id)
    return exports.file_response(content, filename=name, content_type="application/pdf")


@rule_required("payouts.view_reports")
def report_reconcile(request, pk):
    report = _report(pk)
    check = services.payout_report_reconcile(report=report)
    return render(
        request, "payouts/reconcile.html", {"report": report, "period": report.period, "check": check}
    )


@rule_required("payouts.view_statement")
def statement(request):
    """The person's own lines: as a member (their share), and as leader of an ME (its line)."""
    member_lines = selectors.member_statement_lines(user=request.user)[:60]
    led = (
        PayoutLine.objects.filter(kind=PayoutLine.Kind.ME, me__leader=request.user)
        .select_related("report__period", "emc", "me")
        .order_by("-report__period__start", "emc__code")[:60]
    )
    asked = (
        PayoutInquiry.objects.filter(raised_by=request.user)
        .select_related("line")
        .order_by("-raised_at")[:30]
    )
    return render(
        request,
        "payouts/statement.html",
        {"member_lines": member_lines, "led_lines": led, "inquiries": asked, "form": InquiryTextForm()},
    )


# --- inquiries ---------------------------------------------------------------------------------


class InquiryTextForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Your question"), widget=forms.Textarea(attrs={"rows": 2}))


class InquiryResolveForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))


def _inquiry(request, pk) -> PayoutInquiry:
    inquiry = get_object_or_404(
        PayoutInquiry.objects.select_related("line__me", "line__emc", "report__period", "raised_by"), pk=pk
    )
    if not inquiries.inquiry_visible(request.user, inquiry):
        raise PermissionDenied
    return inquiry


def _inquiry_page(request, inquiry, *, status=200, reply_form=None, resolve_form=None):
    return render(
        request,
        "payouts/inquiry_detail.html",
        {
            "inquiry": inquiry,
            "thread": inquiry.messages.select_related("author"),
            "reply_form": reply_form or InquiryTextForm(),
            "resolve_form": resolve_form or InquiryResolveForm(),
            "can_resolve": request.user.has_perm("payouts.approve") and inquiry.status == "open",
            "can_reply": inquiry.status == "open"
            and (request.user.has_perm("payouts.approve") or inquiry.raised_by_id == request.user.pk),
        },
        status=status,
    )


def _refusal(form, field: str, exc) -> int:
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return 403
    if isinstance(exc, ConflictError):
        form.add_error(None, " ".join(exc.messages))
        return 409
    for name, msgs in exc.message_dict.items():
        form.add_error(field if name == field else None, msgs)
    return 400


@rule_required("payouts.view_statement")
@require_POST
def inquiry_raise(request, pk):
    line = get_object_or_404(PayoutLine.objects.select_related("me"), pk=pk)
    form = InquiryTextForm(request.POST)
    if form.is_valid():
        try:
            inquiry = inquiries.inquiry_raise(actor=request.user, line=line, text=form.cleaned_data["text"])
        except (PermissionDenied, ValidationError) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            messages.error(request, " ".join(exc.messages))
            if isinstance(exc, ConflictError):  # the line's open thread: the question goes there
                return redirect("payouts:inquiry-detail", pk=exc.params["inquiry"])
            return redirect("payouts:statement")
        messages.success(request, _("Your inquiry is sent to finance."))
        return redirect("payouts:inquiry-detail", pk=inquiry.pk)
    messages.error(request, _("Write your question first."))
    return redirect("payouts:statement")


@rule_required("payouts.view_statement")
def inquiry_detail(request, pk):
    return _inquiry_page(request, _inquiry(request, pk))


@rule_required("payouts.view_statement")
@require_POST
def inquiry_reply(request, pk):
    inquiry = _inquiry(request, pk)
    form = InquiryTextForm(request.POST)
    if form.is_valid():
        try:
            inquiries.inquiry_reply(actor=request.user, inquiry=inquiry, text=form.cleaned_data["text"])
        except (PermissionDenied, ValidationError) as exc:
            return _inquiry_page(request, inquiry, status=_refusal(form, "text", exc), reply_form=form)
        return redirect("payouts:inquiry-detail", pk=inquiry.pk)
    return _inquiry_page(request, inquiry, status=400, reply_form=form)


@rule_required("payouts.view_statement")
@require_POST
def inquiry_resolve(request, pk):
    inquiry = _inquiry(request, pk)
    form = InquiryResolveForm(request.POST)
    if form.is_valid():
        try:
            inquiries.inquiry_resolve(actor=request.user, inquiry=inquiry, reason=form.cleaned_data["reason"])
        except (PermissionDenied, ValidationError) as exc:
            inquiry.refresh_from_db()
            return _inquiry_page(request, inquiry, status=_refusal(form, "reason", exc), resolve_form=form)
        messages.success(request, _("The inquiry is resolved."))
        return redirect("payouts:inquiry-detail", pk=inquiry.pk)
    return _inquiry_page(request, inquiry, status=400, resolve_form=form)
