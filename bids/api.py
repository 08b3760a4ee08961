"""REST API of the orders for bids: list and put out orders, list and place bids, award, rate,
cancel. The same services and checks as the pages (a refusal answers 400/409 by field, a
forbidden step 403)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bids import selectors, services
from bids.models import Bid, Order
from bids.serializers import AwardIn, BidIn, BidOut, CancelIn, OrderIn, OrderOut, RateIn
from config.api import NumericIds
from config.permissions import HasRulePermission


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(
        summary="Orders for bids, newest first",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, required=False, enum=Order.Status.values),
            OpenApiParameter("emc", OpenApiTypes.STR, required=False),
            OpenApiParameter("scenario", OpenApiTypes.STR, required=False),
        ],
    ),
    retrieve=extend_schema(summary="One order"),
)
class OrderViewSet(NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff and partner users read; the EMC lead or an admin puts out, awards, rates and
    cancels; an ME's leader or a partner's user (or an admin) bids."""

    permission_classes = [HasRulePermission]
    permission_required = "bids.view"  # each write checks its own rule in the service
    serializer_class = OrderOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        params = self.request.query_params
        status_ = params.get("status", "")
        return selectors.order_list(
            status=status_ if status_ in Order.Status.values else "",
            emc=params.get("emc", ""),
            scenario=params.get("scenario", ""),
            viewer=self.request.user,
        ).select_related("contract")

    def _one(self, order, code=status.HTTP_200_OK):
        return Response(OrderOut(self.get_queryset().get(pk=order.pk)).data, status=code)

    @extend_schema(summary="Put an order out for bids", request=OrderIn, responses={201: OrderOut})
    def create(self, request):
        order = services.order_create(actor=request.user, **_valid(OrderIn, request))
        return self._one(order, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["get"],
        summary="The order's bids, each with its bidder's record",
        responses=BidOut(many=True),
    )
    @extend_schema(methods=["post"], summary="Bid on the order", request=BidIn, responses={201: BidOut})
    @action(detail=True, methods=["get", "post"])
    def bids(self, request, pk=None):
        order = self.get_object()
        if request.method == "POST":
            bid = services.bid_place(actor=request.user, order=order, **_valid(BidIn, request))
            bid = next(b for b in selectors.order_bids(order=order, viewer=request.user) if b.pk == bid.pk)
            return Response(BidOut(bid).data, status=status.HTTP_201_CREATED)
        return Response(BidOut(selectors.order_bids(order=order, viewer=request.user), many=True).data)

    @extend_schema(
        summary="Award a bid: the winner joins, a draft contract is made", request=AwardIn, responses=OrderOut
    )
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        order = self.get_object()
        data = _valid(AwardIn, request)
        bid = get_object_or_404(Bid, pk=data["bid"], order=order)
        return self._one(
            services.order_award(actor=request.user, order=order, bid=bid, reason=data["reason"])
        )

    @extend_schema(
        summary="Rate the delivery (1-5 stars) after its period", request=RateIn, responses=OrderOut
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        return self._one(
            services.order_rate(actor=request.user, order=self.get_object(), **_valid(RateIn, request))
        )

    @extend_schema(summary="Cancel an open order", request=CancelIn, responses=OrderOut)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = _valid(CancelIn, request)
        return self._one(
            services.order_cancel(actor=request.user, order=self.get_object(), reason=data["reason"])
        )
