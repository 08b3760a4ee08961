"""Pages of the orders for bids: the list (filters, pagination), putting an order out, and an
order's page with its bids (each bidder's record of rated deliveries beside it), the bid form
and the award, rate and cancel actions behind a confirmation. Interfaces only: the services
write and validate, `bids.rules` decides."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from bids import selectors, services
from bids.forms import AwardForm, BidForm, CancelForm, OrderForm, RateForm
from bids.models import Bid, Order
from config.web import paginate, rule_required
from orgs.forms import add_service_errors
from orgs.models import EMC, Scenario


@rule_required("bids.view")
def order_list(request):
    status = request.GET.get("status", "")
    if status not in Order.Status.values:
        status = ""
    qs = selectors.order_list(
        status=status,
        emc=request.GET.get("emc", ""),
        scenario=request.GET.get("scenario", ""),
        q=(request.GET.get("q") or "").strip(),
        viewer=request.user,
    )
    page, query = paginate(request, qs)
    return render(
        request,
        "bids/order_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "statuses": Order.Status.choices,
            "emcs": EMC.objects.filter(orders__isnull=False)
            .distinct()
            .order_by("code")
            .values_list("code", "name"),
            "scenarios": Scenario.objects.filter(orders__isnull=False)
            .distinct()
            .order_by("name")
            .values_list("code", "name"),
            "can_put_out": request.user.has_perm("bids.manage"),
        },
    )


@rule_required("bids.manage")
def order_create(request):
    form = OrderForm(request.POST or None, user=request.user, initial={"emc": request.GET.get("emc")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(actor=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The order is out for bids."))
            return redirect("bids:order-detail", pk=order.pk)
    return render(request, "bids/order_form.html", {"form": form})


def _act(request, order, form, action):
    """Run `action()` for a valid form; on a refusal put the service's errors on the form."""
    if not form.is_valid():
        return False
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


@rule_required("bids.view")
def order_detail(request, pk):
    order = get_object_or_404(Order.objects.select_related("emc__lead_me", "scenario", "contract"), pk=pk)
    user = request.user
    can_manage = user.has_perm("bids.manage", order)
    is_open = order.status == Order.Status.OPEN
    bid_form = BidForm(user=user) if is_open and user.has_perm("bids.bid") else None
    award_form, rate_form, cancel_form = AwardForm(), RateForm(), CancelForm()
    award_error_bid = None
    if request.method == "POST":
        which = request.POST.get("form")
        done = False
        if which == "bid" and bid_form is not None:
            bid_form = BidForm(request.POST, user=user)
            done = _act(
                request,
                order,
                bid_form,
                lambda d: services.bid_place(
                    actor=user,
                    order=order,
                    asked_share_pct=d["asked_share_pct"],
                    commitment=d["commitment"],
                    target_amount=d["target_amount"],
                    **bid_form.bidder_kwargs(),
                ),
            )
            if done:
                messages.success(request, _("Your bid is in."))
        elif which == "withdraw":
            bid_id = request.POST.get("bid", "")
            if not bid_id.isdigit() or len(bid_id) > 18:
                raise Http404
            bid = get_object_or_404(Bid, pk=int(bid_id), order=order)
            try:
                services.bid_withdraw(actor=user, bid=bid)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("The bid is withdrawn."))
            done = True
        elif which in ("award", "rate", "cancel"):
            if not can_manage:
                raise PermissionDenied
            if which == "award":
                award_form = AwardForm(request.POST)
                award_error_bid = request.POST.get("bid")

                def award(d):
                    bid = get_object_or_404(Bid, pk=d["bid"], order=order)
                    services.order_award(actor=user, order=order, bid=bid, reason=d["reason"])

                done = _act(request, order, award_form, award)
                if done:
                    messages.success(
                        request,
                        _(
                            "Awarded: a draft contract waits for a second admin's approval; the "
                            "winner joins the EMC when it is approved."
                        ),
                    )
            elif which == "rate":
                rate_form = RateForm(request.POST)
                done = _act(
                    request,
                    order,
                    rate_form,
                    lambda d: services.order_rate(actor=user, order=order, stars=d["stars"], note=d["note"]),
                )
                if done:
                    messages.success(request, _("The delivery is rated."))
            else:
                cancel_form = CancelForm(request.POST)
                done = _act(
                    request,
                    order,
                    cancel_form,
                    lambda d: services.order_cancel(actor=user, order=order, reason=d["reason"]),
                )
                if done:
                    messages.success(request, _("The order is cancelled."))
        if done:
            return redirect("bids:order-detail", pk=order.pk)
    bids = selectors.order_bids(order=order, viewer=user)
    return render(
        request,
        "bids/order_detail.html",
        {
            "order": order,
            "bids": bids,
            "can_manage": can_manage,
            "is_open": is_open,
            "bid_form": bid_form if bid_form is not None and bid_form.fields["bidder"].choices else None,
            "award_form": award_form,
            "award_error_bid": award_error_bid,
            "rate_form": rate_form,
            "cancel_form": cancel_form,
            "own_bidders": {value for value, _label in BidForm(user=user).fields["bidder"].choices}
            if is_open
            else set(),
        },
    )
