"""API shapes. Money goes out as a decimal string plus its currency, never a float.

Serializers parse and render only; every rule lives in ledger.services / ledger.posting.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config import fields
from config.values import TEXT_LONG, TEXT_SHORT
from ledger.imports.progress import progress_of
from ledger.models import (
    Account,
    Contract,
    ContractGoal,
    ImportBatch,
    Leg,
    PurposeIndicator,
    Transaction,
    UserSignal,
    ValueEvent,
)
from ledger.money import format_minor, to_minor
from ledger.posting.specs import ValueEventSpec
from orgs.models import EMC, Category, Microenterprise, Partner, Scenario, Solution


def code_field(model, **kwargs):
    return fields.CodeRelatedField(slug_field="code", queryset=model.objects.all(), **kwargs)


class MoneyMixin:
    @staticmethod
    def money(amount_minor: int, currency: str) -> str:
        return format_minor(amount_minor, currency)


# --- value events --------------------------------------------------------------------------


class ValueEventInSerializer(serializers.Serializer):
    me = code_field(Microenterprise)
    emc = code_field(EMC)
    scenario = code_field(Scenario)
    solution = code_field(Solution, required=False, allow_null=True)
    category = code_field(Category)
    user_ref = fields.TextField(max_length=64, help_text="Pseudonymous reference; never a name or contact.")
    amount = fields.MoneyTextField(
        help_text='Decimal string in major units, e.g. "199.00" (a JSON number is refused); at most '
        "LEDGER_EVENT_MAX of its currency per event."
    )
    currency = fields.CurrencyField(help_text="ISO 4217 code, e.g. CNY.")
    occurred_at = fields.TimestampField(
        help_text="ISO 8601 with its zone offset, e.g. 2025-03-01T14:30:00+08:00."
    )
    customized = fields.BooleanField(default=False)
    partners = serializers.ListField(child=code_field(Partner), required=False, default=list, max_length=50)
    note = fields.TextField(max_length=TEXT_SHORT, required=False, allow_blank=True, default="")


class RefundInSerializer(serializers.Serializer):
    original = serializers.PrimaryKeyRelatedField(
        queryset=ValueEvent.objects.all(), pk_field=fields.IntegerField(min_value=1)
    )
    amount = fields.MoneyTextField(help_text='Decimal string in major units, e.g. "50.00".')
    currency = fields.CurrencyField(
        required=False,
        help_text="Optional: the payment's currency, stated to guard against a mix-up; another "
        "currency is refused, never converted.",
    )
    occurred_at = fields.TimestampField(help_text="ISO 8601 with its zone offset.")
    user_ref = fields.TextField(max_length=64, required=False)
    note = fields.TextField(max_length=TEXT_SHORT, required=False, allow_blank=True, default="")


class LegSerializer(serializers.ModelSerializer, MoneyMixin):
    account = serializers.CharField(source="account.code")
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Leg
        fields = [
            "id",
            "account",
            "amount",
            "currency",
            "amount_minor",
            "effective_on",
            "rule",
            "contract",
            "basis",
        ]

    def get_amount(self, leg) -> str:
        return self.money(leg.amount_minor, leg.currency)


class ValueEventSerializer(serializers.ModelSerializer, MoneyMixin):
    me = serializers.CharField(source="me.code")
    emc = serializers.CharField(source="emc.code")
    scenario = serializers.CharField(source="scenario.code")
    solution = serializers.CharField(source="solution.code", allow_null=True, default=None)
    category = serializers.CharField(source="category.code")
    partners = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    amount = serializers.SerializerMethodField()
    contract = serializers.IntegerField(source="transaction.contract_id", allow_null=True)

    class Meta:
        model = ValueEvent
        fields = [
            "id",
            "kind",
            "me",
            "emc",
            "scenario",
            "solution",
            "category",
            "user_ref",
            "amount",
            "currency",
            "amount_minor",
            "occurred_at",
            "occurred_on",
            "customized",
            "partners",
            "original",
            "transaction",
            "contract",
            "note",
            "source",
            "logged_at",
        ]

    def get_amount(self, event) -> str:
        return self.money(event.amount_minor, event.currency)


class ValueEventWithSplitSerializer(ValueEventSerializer):
    legs = LegSerializer(source="transaction.legs", many=True, read_only=True)

    class Meta(ValueEventSerializer.Meta):
        fields = [*ValueEventSerializer.Meta.fields, "legs"]


# --- signals -------------------------------------------------------------------------------


class UserSignalInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=UserSignal.Kind.choices)
    me = code_field(Microenterprise)
    emc = code_field(EMC)
    scenario = code_field(Scenario, required=False, allow_null=True)
    solution = code_field(Solution, required=False, allow_null=True)
    user_ref = fields.TextField(max_length=64)
    occurred_at = fields.TimestampField(help_text="ISO 8601 with its zone offset.")
    rating = fields.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)
    expectation = fields.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)
    co_creation_kind = serializers.ChoiceField(
        choices=UserSignal.CoCreationKind.choices, required=False, allow_null=True, allow_blank=True
    )
    products_owned = fields.IntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)
    related_purchase = fields.BooleanField(required=False, allow_null=True, default=None)
    note = fields.TextField(max_length=500, multiline=True, required=False, allow_blank=True, default="")


class UserSignalSerializer(serializers.ModelSerializer):
    me = serializers.CharField(source="me.code")
    emc = serializers.CharField(source="emc.code")
    scenario = serializers.CharField(source="scenario.code", allow_null=True, default=None)
    solution = serializers.CharField(source="solution.code", allow_null=True, default=None)

    class Meta:
        model = UserSignal
        fields = [
            "id",
            "kind",
            "me",
            "emc",
            "scenario",
            "solution",
            "user_ref",
            "occurred_at",
            "occurred_on",
            "rating",
            "expectation",
            "co_creation_kind",
            "products_owned",
            "related_purchase",
            "note",
            "source",
            "logged_at",
        ]


# --- contracts -----------------------------------------------------------------------------


class TierSerializer(serializers.Serializer):
    threshold_pct = serializers.DecimalField(max_digits=7, decimal_places=2)
    rate_pct = serializers.DecimalField(max_digits=7, decimal_places=4)


class PartnerShareSerializer(serializers.Serializer):
    partner = code_field(Partner)
    share_pct = serializers.DecimalField(max_digits=7, decimal_places=4)


class NodeShareSerializer(serializers.Serializer):
    me = code_field(Microenterprise)
    share_pct = serializers.DecimalField(max_digits=7, decimal_places=4)


class GoalSerializer(serializers.Serializer):
    axis = serializers.ChoiceField(choices=ContractGoal.Axis.choices)
    metric = serializers.ChoiceField(choices=ContractGoal.Metric.choices)
    target = serializers.DecimalField(max_digits=20, decimal_places=4)
    unit = fields.TextField(max_length=20, required=False, allow_blank=True, default="")


class ContractInSerializer(serializers.Serializer):
    emc = code_field(EMC)
    effective_from = fields.DateField()
    currency = fields.CurrencyField()
    period = serializers.ChoiceField(choices=Contract.Period.choices)
    platform_fee_pct = serializers.DecimalField(max_digits=7, decimal_places=4)
    target_minor = fields.MinorUnitsField(min_value=1)
    base_rate_pct = serializers.DecimalField(max_digits=7, decimal_places=4)
    floor_minor = fields.MinorUnitsField(default=0)
    cap_minor = fields.MinorUnitsField(required=False, allow_null=True, default=None)
    holdback_pct = serializers.DecimalField(max_digits=7, decimal_places=4, default=0)
    holdback_days = fields.IntegerField(default=0, min_value=0, max_value=3650)
    tiers = TierSerializer(many=True, required=False, default=list)
    partner_shares = PartnerShareSerializer(many=True, required=False, default=list)
    node_shares = NodeShareSerializer(many=True)
    goals = GoalSerializer(many=True, required=False, default=list)
    notes = fields.TextField(
        max_length=TEXT_LONG, multiline=True, required=False, allow_blank=True, default=""
    )


class ContractSerializer(serializers.ModelSerializer):
    emc = serializers.CharField(source="emc.code")
    tiers = TierSerializer(many=True, read_only=True)
    partner_shares = serializers.SerializerMethodField()
    node_shares = serializers.SerializerMethodField()
    goals = GoalSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "emc",
            "version",
            "status",
            "effective_from",
            "currency",
            "period",
            "platform_fee_pct",
            "target_minor",
            "base_rate_pct",
            "floor_minor",
            "cap_minor",
            "holdback_pct",
            "holdback_days",
            "tiers",
            "partner_shares",
            "node_shares",
            "goals",
            "notes",
            "created_at",
            "approved_at",
        ]

    def get_partner_shares(self, contract) -> list[dict]:
        return [
            {"partner": s.partner.code, "share_pct": str(s.share_pct)} for s in contract.partner_shares.all()
        ]

    def get_node_shares(self, contract) -> list[dict]:
        return [{"me": s.me.code, "share_pct": str(s.share_pct)} for s in contract.node_shares.all()]


class ReasonSerializer(serializers.Serializer):
    reason = fields.TextField(max_length=TEXT_SHORT, multiline=True)


# --- accounts, balances, transactions ------------------------------------------------------


BALANCE_SIGN_HELP = (
    "The ledger's net of the account's legs, debit-positive (debits minus credits): the sign that "
    "sums to zero over every transaction. A credit-normal account (an ME's or partner's share, "
    "revenue, payables) owed money shows a negative balance here; `owed` is the same figure from "
    "the owner's side, the one the web pages and the balances CSV show."
)
OWED_SIGN_HELP = (
    "The balance as its owner sees it, as on the web pages and in the balances CSV: the net times "
    "the account's normal sign (+1 for debit-normal kinds, -1 for credit-normal), so money owed to "
    "the owner is positive."
)


class AccountSerializer(serializers.ModelSerializer):
    """An account; its balances only when asked for (`?as_of=` or `?with_balance=1`), else null."""

    balance = serializers.SerializerMethodField(help_text=BALANCE_SIGN_HELP + " Decimal string.")
    balance_minor = serializers.SerializerMethodField(help_text=BALANCE_SIGN_HELP + " Minor units.")
    owed = serializers.SerializerMethodField(help_text=OWED_SIGN_HELP + " Decimal string.")
    owed_minor = serializers.SerializerMethodField(help_text=OWED_SIGN_HELP + " Minor units.")

    class Meta:
        model = Account
        fields = [
            "id",
            "code",
            "kind",
            "name",
            "currency",
            "balance",
            "balance_minor",
            "owed",
            "owed_minor",
            "created_at",
        ]

    def get_balance_minor(self, account) -> int | None:
        balances = self.context.get("balances")
        return None if balances is None else balances.get(account.pk, 0)

    def get_balance(self, account) -> str | None:
        value = self.get_balance_minor(account)
        return None if value is None else format_minor(value, account.currency)

    def get_owed_minor(self, account) -> int | None:
        value = self.get_balance_minor(account)
        return None if value is None else value * account.normal_sign

    def get_owed(self, account) -> str | None:
        value = self.get_owed_minor(account)
        return None if value is None else format_minor(value, account.currency)


class BalanceSerializer(serializers.Serializer):
    account = serializers.CharField()
    currency = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    balance = serializers.CharField(help_text=BALANCE_SIGN_HELP + " Decimal string.")
    balance_minor = serializers.IntegerField(help_text=BALANCE_SIGN_HELP + " Minor units.")
    owed = serializers.CharField(help_text=OWED_SIGN_HELP + " Decimal string.")
    owed_minor = serializers.IntegerField(help_text=OWED_SIGN_HELP + " Minor units.")


class TransactionSerializer(serializers.ModelSerializer):
    legs = LegSerializer(many=True, read_only=True)
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = [
            "id",
            "kind",
            "effective_on",
            "recorded_at",
            "memo",
            "contract",
            "reverses",
            "reversed_by",
            "legs",
        ]

    def get_reversed_by(self, txn) -> int | None:
        reversal = getattr(txn, "reversed_by", None)
        return reversal.pk if reversal is not None else None


# --- imports -------------------------------------------------------------------------------


class ImportInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportBatch.Kind.choices)
    file = serializers.FileField()
    commit = fields.BooleanField(
        text=True, default=True, help_text="False: validate only (status validated)."
    )


class ImportProgressSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=["validating", "posting"])
    done = serializers.IntegerField(help_text="Rows done.")
    total = serializers.IntegerField(help_text="Rows in the file.")
    percent = serializers.IntegerField()


class ImportBatchSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(
        help_text="While a background task validates or posts the batch: how far it got (null "
        "before it starts and once it is done)."
    )

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "kind",
            "filename",
            "rows",
            "status",
            "errors",
            "created_at",
            "queued_at",
            "started_at",
            "posted_at",
            "progress",
        ]

    @extend_schema_field(ImportProgressSerializer(allow_null=True))
    def get_progress(self, batch) -> dict | None:
        return progress_of(batch)


# --- value events in batches (POST /api/value-events/batch/) -------------------------------

VALUE_EVENT_BATCH_MAX = 1000
_BATCH_CODE_FIELDS = (
    ("me", Microenterprise),
    ("emc", EMC),
    ("scenario", Scenario),
    ("solution", Solution),
    ("category", Category),
)


class ValueEventBatchRowSerializer(ValueEventInSerializer):
    """One event of a batch: the same body as POST /api/value-events/. Its codes stay strings
    here; `ValueEventBatchInSerializer` resolves the codes of all rows at once."""

    me = serializers.SlugField(max_length=50, help_text="Microenterprise code.")
    emc = serializers.SlugField(max_length=50, help_text="EMC code.")
    scenario = serializers.SlugField(max_length=50, help_text="Scenario code.")
    solution = serializers.SlugField(
        max_length=50, required=False, allow_null=True, help_text="Solution code."
    )
    category = serializers.SlugField(max_length=50, help_text="Category code.")
    partners = serializers.ListField(
        child=serializers.SlugField(max_length=50), required=False, default=list, help_text="Partner codes."
    )


class ValueEventBatchInSerializer(serializers.Serializer):
    """`{"events": [<value event>, ...]}`, 1..VALUE_EVENT_BATCH_MAX rows.

    Parsing never raises for a bad row: `parse()` returns the rows that parsed (codes resolved
    to model instances with one query per kind of code for the whole batch) and the errors of
    the others keyed by row index then field, so the view can validate the good rows too and
    report every bad row at once.
    """

    events = ValueEventBatchRowSerializer(
        many=True,
        min_length=1,
        max_length=VALUE_EVENT_BATCH_MAX,
        help_text=f"1 to {VALUE_EVENT_BATCH_MAX} events, posted all or none.",
    )

    @staticmethod
    def parse(data) -> tuple[dict[int, dict], dict[int, dict[str, list[str]]]]:
        """Return ({index: validated row}, {index: {field: [messages]}}); raise a DRF
        ValidationError only when the body is not a list of 1..max events at all."""
        rows = data.get("events") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise serializers.ValidationError({"events": ['Send a list of events: {"events": [...]}.']})
        if not 1 <= len(rows) <= VALUE_EVENT_BATCH_MAX:
            raise serializers.ValidationError(
                {
                    "events": [
                        f"Send 1 to {VALUE_EVENT_BATCH_MAX} events per batch (this one has {len(rows)}); "
                        "split larger sets into several batches."
                    ]
                }
            )
        parsed: dict[int, dict] = {}
        errors: dict[int, dict[str, list[str]]] = {}
        child = ValueEventBatchRowSerializer()  # one instance: DRF deep-copies its fields once, not per row
        for index, row in enumerate(rows):
            try:
                parsed[index] = dict(child.run_validation(row))
            except serializers.ValidationError as exc:
                detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
                errors[index] = {name: [str(m) for m in msgs] for name, msgs in _flat_errors(detail)}
                continue
            try:  # the amount in minor units of its currency (ledger.money: exact, never rounded)
                parsed[index]["amount_minor"] = to_minor(parsed[index]["amount"], parsed[index]["currency"])
            except DjangoValidationError as exc:
                errors[index] = exc.message_dict
                del parsed[index]
        _resolve_codes(parsed, errors)
        return parsed, errors


def _flat_errors(errors: dict):
    for name, msgs in errors.items():
        if isinstance(msgs, dict):  # a ListField child error: {position: [messages]}
            yield name, [m for sub in msgs.values() for m in sub]
        else:
            yield name, msgs


def _resolve_codes(parsed: dict[int, dict], errors: dict[int, dict[str, list[str]]]) -> None:
    """Codes to model instances for every parsed row: one query per kind of code (6 in all,
    whatever the batch size). A row with an unknown code moves from `parsed` to `errors`."""
    found = {}
    for name, model in _BATCH_CODE_FIELDS:
        codes = {row[name] for row in parsed.values() if row.get(name)}
        found[name] = model.objects.in_bulk(codes, field_name="code") if codes else {}
    partner_codes = {code for row in parsed.values() for code in row["partners"]}
    partners = Partner.objects.in_bulk(partner_codes, field_name="code") if partner_codes else {}
    for index in list(parsed):
        row = parsed[index]
        row_errors: dict[str, list[str]] = {}
        for name, _model in _BATCH_CODE_FIELDS:
            code = row.get(name)
            if code is None:
                continue
            obj = found[name].get(code)
            if obj is None:
                row_errors[name] = [f"Object with code={code} does not exist."]
            row[name] = obj
        unknown = [code for code in row["partners"] if code not in partners]
        if unknown:
            row_errors["partners"] = [f"Object with code={code} does not exist." for code in unknown]
        row["partners"] = [partners[code] for code in row["partners"] if code in partners]
        if row_errors:
            errors[index] = row_errors
            del parsed[index]


class ValueEventBatchItemSerializer(serializers.Serializer):
    """An event of a posted batch (its split: GET /api/value-events/{id}/)."""

    id = serializers.IntegerField()
    transaction = serializers.IntegerField(source="transaction_id")
    contract = serializers.IntegerField(source="transaction.contract_id", allow_null=True)
    kind = serializers.CharField()
    me = serializers.CharField(source="me.code")
    emc = serializers.CharField(source="emc.code")
    user_ref = serializers.CharField()
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField()
    amount_minor = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()

    def get_amount(self, event) -> str:
        return format_minor(event.amount_minor, event.currency)


class ValueEventBatchSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    events = ValueEventBatchItemSerializer(many=True)


def value_event_spec(row: dict) -> ValueEventSpec:
    """A parsed batch row (codes resolved, amount in minor units) as the posting engine's spec."""
    return ValueEventSpec(
        me_id=row["me"].pk,
        emc_id=row["emc"].pk,
        scenario_id=row["scenario"].pk,
        solution_id=row["solution"].pk if row.get("solution") else None,
        category_id=row["category"].pk,
        user_ref=row["user_ref"],
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        occurred_at=row["occurred_at"],
        customized=row["customized"],
        partner_ids=tuple(p.pk for p in row["partners"]),
        note=row["note"],
    )


# --- purpose indicators --------------------------------------------------------------------


class PurposeIndicatorInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PurposeIndicator.Kind.choices)
    me = code_field(Microenterprise)
    emc = code_field(EMC)
    on = fields.DateField()
    quantity = fields.MoneyTextField(help_text='Decimal string, e.g. "120.5"; 0 or more.')
    unit = fields.TextField(max_length=12, help_text="The indicator's unit: kg CO2e, kWh, units, people.")
    note = fields.TextField(max_length=TEXT_SHORT, required=False, allow_blank=True, default="")


class PurposeIndicatorSerializer(serializers.ModelSerializer):
    me = serializers.CharField(source="me.code")
    emc = serializers.CharField(source="emc.code")
    quantity = serializers.SerializerMethodField()

    class Meta:
        model = PurposeIndicator
        fields = ["id", "kind", "me", "emc", "on", "quantity", "unit", "note", "source", "logged_at"]

    def get_quantity(self, indicator) -> str:
        return format(indicator.quantity.normalize(), "f")
