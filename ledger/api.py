"""REST API of the ledger: value events, refunds, signals, contracts, accounts, balances,
transactions, reversals and CSV imports. Every write takes an Idempotency-Key header."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse as django_reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config import values
from config.api import NumericIds
from config.exports import csv_download, csv_rows
from config.parsers import JSONParser
from config.permissions import HasRulePermission
from config.schema import ErrorSerializer
from config.uploads import announced_too_large, too_large_message, upload_refusal
from ledger import selectors, serializers, services
from ledger.idempotency import HEADER, idempotent
from ledger.imports.batches import stopped_by_crash
from ledger.models import (
    Account,
    Contract,
    ImportBatch,
    Leg,
    PurposeIndicator,
    Source,
    Transaction,
    UserSignal,
    ValueEvent,
)
from ledger.money import format_minor
from ledger.posting.specs import BatchValidationError


class UploadTooLarge(DRFValidationError):
    """413: the uploaded file is larger than UPLOAD_MAX_MB (nothing of it was stored)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


IDEMPOTENCY_PARAM = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per write; replays return the first response.",
)
IMPORT_REFUSED = PolymorphicProxySerializer(
    component_name="ImportRefused",
    serializers=[serializers.ImportBatchSerializer, ErrorSerializer],
    resource_type_field_name=None,
)
AS_OF_PARAM = OpenApiParameter("as_of", OpenApiTypes.DATE, description="Balance as of this day (inclusive).")


def _as_of(request) -> dt.date | None:
    raw = request.query_params.get("as_of")
    if not raw:
        return None
    return values.date_parse(raw, field="as_of")  # ISO 8601, 1900-01-01 to 2099-12-31


class ValueEventFilter(filters.FilterSet):
    me = filters.CharFilter(field_name="me__code")
    emc = filters.CharFilter(field_name="emc__code")
    occurred_from = filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_to = filters.DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = ValueEvent
        fields = ["kind", "me", "emc", "customized", "source"]


class ValueEventViewSet(
    NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """User payments and refunds. POST logs a payment and returns it with its split."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.log_value_any"
    filterset_class = ValueEventFilter
    ordering_fields = ["occurred_at", "amount_minor"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ValueEvent.objects.none()
        return selectors.value_events_visible(user=self.request.user)

    def get_serializer_class(self):
        return (
            serializers.ValueEventWithSplitSerializer
            if self.action == "retrieve"
            else serializers.ValueEventSerializer
        )

    @extend_schema(
        request=serializers.ValueEventInSerializer,
        responses={201: serializers.ValueEventWithSplitSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @idempotent
    def create(self, request):
        data = _valid(serializers.ValueEventInSerializer, request)
        event = services.value_event_log(actor=request.user, source=Source.API, **data)
        return Response(_logged_event_with_split(event, data), status=status.HTTP_201_CREATED)


def _logged_event_with_split(event: ValueEvent, data: dict) -> dict:
    """The response to a create: the event just written, its related rows taken from the
    validated request (no 7-table join to plan again), its legs with accounts in one query."""
    for name in ("me", "emc", "scenario", "solution", "category"):
        setattr(event, name, data.get(name))
    partners = sorted(data.get("partners") or [], key=lambda p: (p.name, p.pk))  # Partner's ordering
    event._prefetched_objects_cache = {"partners": partners}
    event.transaction._prefetched_objects_cache = {
        "legs": list(Leg.objects.filter(transaction_id=event.transaction_id).select_related("account"))
    }
    return serializers.ValueEventWithSplitSerializer(event).data


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _event_with_split(event: ValueEvent) -> dict:
    # legs with their accounts in one query (a join), not two
    legs = Prefetch("transaction__legs", queryset=Leg.objects.select_related("account"))
    event = selectors.value_events_visible_all().prefetch_related(legs).get(pk=event.pk)
    return serializers.ValueEventWithSplitSerializer(event).data


class RefundView(APIView):
    """Refund part or all of a payment; each share is reversed proportionally."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.log_value_any"

    @extend_schema(
        request=serializers.RefundInSerializer,
        responses={201: serializers.ValueEventWithSplitSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @idempotent
    def post(self, request):
        data = _valid(serializers.RefundInSerializer, request)
        event = services.value_event_refund(actor=request.user, source=Source.API, **data)
        return Response(_event_with_split(event), status=status.HTTP_201_CREATED)


class UserSignalViewSet(
    NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Experience ratings (with prior expectation), co-creation, stories, ownership."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.log_value_any"
    serializer_class = serializers.UserSignalSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return UserSignal.objects.none()
        return selectors.user_signals_visible(user=self.request.user)

    @extend_schema(
        request=serializers.UserSignalInSerializer,
        responses={201: serializers.UserSignalSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @idempotent
    def create(self, request):
        data = _valid(serializers.UserSignalInSerializer, request)
        signal = services.user_signal_log(actor=request.user, source=Source.API, **data)
        return Response(serializers.UserSignalSerializer(signal).data, status=status.HTTP_201_CREATED)


class PurposeIndicatorFilter(filters.FilterSet):
    me = filters.CharFilter(field_name="me__code")
    emc = filters.CharFilter(field_name="emc__code")
    on_from = filters.DateFilter(field_name="on", lookup_expr="gte")
    on_to = filters.DateFilter(field_name="on", lookup_expr="lte")

    class Meta:
        model = PurposeIndicator
        fields = ["kind", "me", "emc"]


class PurposeIndicatorViewSet(
    NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Purpose indicators per EMC and day (CO2e avoided, energy saved, units recycled, people
    served): logged by ME leaders, append-only."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.log_value_any"
    serializer_class = serializers.PurposeIndicatorSerializer
    filterset_class = PurposeIndicatorFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return PurposeIndicator.objects.none()
        return selectors.purpose_indicators_visible(user=self.request.user)

    @extend_schema(
        request=serializers.PurposeIndicatorInSerializer,
        responses={201: serializers.PurposeIndicatorSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @idempotent
    def create(self, request):
        data = _valid(serializers.PurposeIndicatorInSerializer, request)
        indicator = services.purpose_indicator_log(actor=request.user, source=Source.API, **data)
        return Response(
            serializers.PurposeIndicatorSerializer(indicator).data, status=status.HTTP_201_CREATED
        )


class ContractViewSet(NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """EMC contracts: versioned, effective-dated, approved by a platform admin before they apply."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.manage_contracts"
    serializer_class = serializers.ContractSerializer
    filterset_fields = ["status", "emc__code"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Contract.objects.none()
        return selectors.contracts_visible(user=self.request.user)

    @extend_schema(
        request=serializers.ContractInSerializer,
        responses={201: serializers.ContractSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @idempotent
    def create(self, request):
        data = _valid(serializers.ContractInSerializer, request)
        contract = services.contract_draft_create(actor=request.user, **_plain(data))
        return Response(self._render(contract), status=status.HTTP_201_CREATED)

    def _render(self, contract):
        return serializers.ContractSerializer(selectors.contract_list().get(pk=contract.pk)).data

    @extend_schema(
        request=None, responses={200: serializers.ContractSerializer}, parameters=[IDEMPOTENCY_PARAM]
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        contract = services.contract_approve(actor=request.user, contract=self._contract(pk))
        return Response(self._render(contract))

    @extend_schema(
        request=serializers.ReasonSerializer,
        responses={200: serializers.ContractSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request, pk=None):
        data = _valid(serializers.ReasonSerializer, request)
        contract = services.contract_withdraw(
            actor=request.user, contract=self._contract(pk), reason=data["reason"]
        )
        return Response(self._render(contract))

    def _contract(self, pk) -> Contract:
        return get_object_or_404(selectors.contracts_visible(user=self.request.user), pk=pk)


def _plain(data: dict) -> dict:
    """Nested serializer output (OrderedDicts) to plain dicts for the service."""
    out = dict(data)
    for key in ("tiers", "partner_shares", "node_shares", "goals"):
        out[key] = [dict(row) for row in data.get(key, [])]
    return out


class AccountViewSet(NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Accounts; with ?as_of=YYYY-MM-DD (or ?with_balance=1) each carries its balance."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    serializer_class = serializers.AccountSerializer
    filterset_fields = ["kind", "currency"]
    search_fields = ["code", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Account.objects.none()
        return selectors.accounts_visible(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = _as_of(self.request)
        return context

    @extend_schema(parameters=[AS_OF_PARAM])
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        if context["as_of"] or request.query_params.get("with_balance"):
            context["balances"] = selectors.balances(account_ids=[a.pk for a in page], as_of=context["as_of"])
        return self.get_paginated_response(
            serializers.AccountSerializer(page, many=True, context=context).data
        )

    @extend_schema(parameters=[AS_OF_PARAM])
    def retrieve(self, request, *args, **kwargs):
        account = self.get_object()
        context = self.get_serializer_context()
        context["balances"] = selectors.balances(account_ids=[account.pk], as_of=context["as_of"])
        return Response(serializers.AccountSerializer(account, context=context).data)


class BalanceView(APIView):
    """The balance of one account as of a day: GET /api/balances/?account=<code>&as_of=<date>."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("account", OpenApiTypes.STR, required=True, description="Account code or id."),
            AS_OF_PARAM,
        ],
        responses=serializers.BalanceSerializer,
    )
    def get(self, request):
        ref = request.query_params.get("account", "")
        if not ref:
            raise ValidationError({"account": "Give an account code or id."})
        visible = selectors.accounts_visible(user=request.user)
        account = (
            get_object_or_404(visible, pk=int(ref))
            if ref.isascii() and ref.isdigit() and len(ref) <= 18
            else get_object_or_404(visible, code=ref[:120])
        )
        as_of = _as_of(request)
        net = selectors.account_balance(account=account, as_of=as_of)
        return Response(
            {
                "account": account.code,
                "currency": account.currency,
                "as_of": as_of,
                "balance": format_minor(net, account.currency),
                "balance_minor": net,
                "owed": format_minor(net * account.normal_sign, account.currency),
                "owed_minor": net * account.normal_sign,
            }
        )


class TransactionViewSet(
    NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Posted transactions with their legs; POST {id}/reverse/ posts the exact negation."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.reverse"
    serializer_class = serializers.TransactionSerializer
    filterset_fields = ["kind", "effective_on"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Transaction.objects.none()
        return selectors.transactions_visible(user=self.request.user)

    @extend_schema(
        request=serializers.ReasonSerializer,
        responses={201: serializers.TransactionSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reverse(self, request, pk=None):
        data = _valid(serializers.ReasonSerializer, request)
        txn = get_object_or_404(Transaction, pk=pk)
        reversal = services.transaction_reverse(actor=request.user, txn=txn, reason=data["reason"])
        reversal = (
            selectors.transactions_visible(user=request.user).filter(pk=reversal.pk).first() or reversal
        )
        return Response(serializers.TransactionSerializer(reversal).data, status=status.HTTP_201_CREATED)


class NoBody(BaseParser):
    """For actions that take no body: any body is accepted unread, so a refused caller hears 403
    (the session's CSRF check parses the body before the permission check runs) and not 415."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


class ImportViewSet(NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """CSV imports of value events or signals: validated whole, then all rows post or none."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.log_value_any"
    serializer_class = serializers.ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ImportBatch.objects.none()
        return selectors.import_batches_visible(user=self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions first
        if self.action == "create" and announced_too_large(request):
            raise UploadTooLarge({"file": [too_large_message()]})  # before the body is read

    def _accepted(self, request, batch) -> Response:
        """202: a background task validates (and posts) the batch; poll its Location."""
        location = request.build_absolute_uri(django_reverse("api-import-detail", args=[batch.pk]))
        body = serializers.ImportBatchSerializer(batch).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    def _replay_202(self, request, record):
        """A retry of an upload answered 202: the batch as it is now (201 or 400 once it has
        finished, 202 while it runs), or None when its task died, to upload it again."""
        if record.status_code != status.HTTP_202_ACCEPTED:
            return Response(record.response_body, status=record.status_code)
        batch = ImportBatch.objects.filter(pk=(record.response_body or {}).get("id")).first()
        if batch is None:
            return None
        batch = services.import_batch_settle(batch=batch)
        if stopped_by_crash(batch):
            return None  # stopped by a crash, not by its rows: run the upload again
        return self._answer(request, batch)

    def _answer(self, request, batch) -> Response:
        if batch.status in ImportBatch.IN_PROGRESS:
            return self._accepted(request, batch)
        body = serializers.ImportBatchSerializer(batch).data
        if batch.status == batch.Status.FAILED:
            body["error_report_url"] = request.build_absolute_uri(
                django_reverse("api-import-errors", args=[batch.pk])
            )
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        batch = services.import_batch_settle(batch=self.get_object())
        return Response(serializers.ImportBatchSerializer(batch).data)

    @extend_schema(
        request=serializers.ImportInSerializer,
        responses={
            201: serializers.ImportBatchSerializer,
            202: serializers.ImportBatchSerializer,
            400: IMPORT_REFUSED,
        },
        parameters=[IDEMPOTENCY_PARAM],
        description="Files of more than LEDGER_IMPORT_INLINE_ROWS rows are answered 202 at once "
        "with the batch `validating` (or `posting` with commit) and a Location to poll.",
    )
    def create(self, request):
        return self._settled(request, self._create(request))

    def _settled(self, request, response) -> Response:
        """Without a broker the task ran once the request's transaction committed, before this
        answer leaves: say how it ended rather than the `posting` it was queued as."""
        if response.status_code == status.HTTP_202_ACCEPTED and settings.CELERY_TASK_ALWAYS_EAGER:
            batch = ImportBatch.objects.filter(pk=response.data.get("id")).first()
            if batch is not None:
                return self._answer(request, services.import_batch_settle(batch=batch))
        return response

    @idempotent(replay=_replay_202)
    def _create(self, request):
        refused = upload_refusal(request)  # the body said less than it held: skipped while read
        if refused:
            raise UploadTooLarge({"file": [refused]})
        data = _valid(serializers.ImportInSerializer, request)
        upload = data["file"]
        batch = services.import_start(
            actor=request.user, kind=data["kind"], upload=upload, filename=upload.name, commit=data["commit"]
        )
        return self._answer(request, batch)

    @extend_schema(
        request=None,
        responses={
            200: serializers.ImportBatchSerializer,
            202: serializers.ImportBatchSerializer,
            400: IMPORT_REFUSED,
        },
        parameters=[IDEMPOTENCY_PARAM],
    )
    @action(detail=True, methods=["post"], url_path="post", url_name="post", parser_classes=[NoBody])
    def post_batch(self, request, pk=None):
        # not named `post`: a viewset method of that name would answer POST on every route of
        # the viewset (POST /api/imports/{id}/ and /errors/ ran it)
        response = self._post(request, pk)
        if response.status_code == status.HTTP_202_ACCEPTED and settings.CELERY_TASK_ALWAYS_EAGER:
            batch = services.import_batch_settle(batch=self.get_object())
            if batch.status not in ImportBatch.IN_PROGRESS:
                code = (
                    status.HTTP_400_BAD_REQUEST if batch.status == batch.Status.FAILED else status.HTTP_200_OK
                )
                return Response(serializers.ImportBatchSerializer(batch).data, status=code)
        return response

    @idempotent
    def _post(self, request, pk=None):
        batch = services.import_post_start(actor=request.user, batch=self.get_object())
        if batch.status in ImportBatch.IN_PROGRESS:
            return self._accepted(request, batch)
        code = status.HTTP_400_BAD_REQUEST if batch.status == batch.Status.FAILED else status.HTTP_200_OK
        return Response(serializers.ImportBatchSerializer(batch).data, status=code)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        batch = self.get_object()
        report = csv_rows(batch.error_report or "row,column,message\n")
        return csv_download(report, filename=f"import-{batch.pk}-errors.csv")


# --- value events in batches ---------------------------------------------------------------


def _batch_invalid(row_errors: dict[int, dict[str, list[str]]]) -> DRFValidationError:
    """400 in the standard error body, `errors` keyed by row index (as a string) then field."""
    return DRFValidationError({str(i): row_errors[i] for i in sorted(row_errors)})


class ValueEventBatchView(APIView):
    """Log up to 1,000 user payments in one request, posted all or none in one DB transaction.

    The body is `{"events": [...]}`, each event the body of POST /api/value-events/. Codes are
    resolved for the whole batch at once and the service (`services.value_events_log`) asks
    the permission to log for an ME (rule `ledger.log_value`) once per distinct ME; every row is validated before
    anything is written, and a bad row answers 400 with `errors` keyed by row index then field
    (an ME the user does not lead is such a row error, named in the message, as on the
    single-event endpoint). The answer lists each event's id and transaction; its split is at
    GET /api/value-events/{id}/.
    """

    permission_classes = [HasRulePermission]
    permission_required = "ledger.view"
    write_permission = "ledger.log_value_any"
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="value_events_batch_create",
        request=serializers.ValueEventBatchInSerializer,
        responses={
            201: serializers.ValueEventBatchSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description='Nothing written. Bad rows: {"errors": {"<row>": {"<field>": ["..."]}}}; '
                'a batch of 0 or more than 1,000 events: {"errors": {"events": ["..."]}}.',
            ),
        },
        parameters=[IDEMPOTENCY_PARAM],
    )
    @idempotent
    def post(self, request):
        rows, errors = serializers.ValueEventBatchInSerializer.parse(request.data)
        order = list(rows)
        specs = [serializers.value_event_spec(rows[index]) for index in order]
        try:
            if errors:
                # report the rows the service would refuse too, so one round trip lists every bad row
                found = services.value_events_check(specs=specs, actor=request.user) if specs else {}
                errors.update({order[i]: fields for i, fields in found.items()})
                raise _batch_invalid(errors)
            events = services.value_events_log(specs=specs, actor=request.user, source=Source.API)
        except BatchValidationError as exc:
            raise _batch_invalid({order[i]: fields for i, fields in exc.row_errors.items()}) from None
        except ValidationError as exc:  # a batch of one reports its error by field only
            if len(order) != 1:
                raise
            raise _batch_invalid({order[0]: exc.message_dict}) from None
        for event, index in zip(events, order, strict=True):
            event.me = rows[index]["me"]
            event.emc = rows[index]["emc"]
        body = {"count": len(events), "events": events}
        return Response(serializers.ValueEventBatchSerializer(body).data, status=status.HTTP_201_CREATED)
