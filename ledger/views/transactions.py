"""A transaction: its legs explained, the event it came from, its contract, its reversal."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import ConflictError
from config.web import rule_required
from ledger import selectors, services, ui_selectors
from ledger.forms import ReverseForm, add_service_errors


def _txn_or_404(request, pk):
    txn = (
        selectors.transactions_visible(user=request.user)
        .select_related("value_event__me", "value_event__emc", "value_event__original", "contract__emc")
        .filter(pk=pk)
        .first()
    )
    if txn is None:
        raise Http404
    return txn


def _render(request, txn, form, status=200):
    event = getattr(txn, "value_event", None)
    payables = services.is_payables(txn)
    return render(
        request,
        "ledger/transaction_detail.html",
        {
            "txn": txn,
            # link the event's ME only for a viewer who may open its ledger (another ME's answers 403)
            "me_ledger_open": event is not None and request.user.has_perm("ledger.view_me_ledger", event.me),
            "legs": ui_selectors.legs_annotate(txn.legs.all()),
            "event": event,
            "refunds": list(event.refunds.order_by("occurred_at", "id")) if event is not None else [],
            "reversal": getattr(txn, "reversed_by", None),
            "can_reverse": request.user.has_perm("ledger.reverse")
            and txn.kind != "reversal"
            and not payables,
            "payables": payables,
            "form": form,
        },
        status=status,
    )


@rule_required("ledger.view")
def transaction_detail(request, pk):
    return _render(request, _txn_or_404(request, pk), ReverseForm())


@require_POST
@rule_required("ledger.view")
def transaction_reverse(request, pk):
    if not request.user.has_perm("ledger.reverse"):
        raise PermissionDenied
    txn = _txn_or_404(request, pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = services.transaction_reverse(
                actor=request.user, txn=txn, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 409 if isinstance(exc, ConflictError) else 400
        else:
            messages.success(
                request, _("Transaction #%(t)s was reversed by #%(r)s.") % {"t": txn.pk, "r": reversal.pk}
            )
            return redirect("ledger:transaction-detail", pk=reversal.pk)
    else:
        status = 400
    return _render(request, txn, form, status=status)
