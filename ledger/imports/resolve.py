"""The codes and refs a whole file mentions, resolved in a few queries after pass 1."""

from collections import defaultdict

from ledger.models import ImportBatch, PurposeIndicator, UserSignal, ValueEvent
from orgs.models import EMC, Category, Microenterprise, Partner, Scenario, Solution

QUERY_CHUNK = 5000  # refs per IN (...) query

CODE_MODELS = {
    "me_code": Microenterprise,
    "emc_code": EMC,
    "scenario_code": Scenario,
    "solution_code": Solution,
    "category_code": Category,
}


class Resolver:
    """Codes and refs of a whole file, resolved in a few queries after pass 1."""

    def __init__(self, kind: str, actor):
        self.kind = kind
        self.actor = actor
        self.codes: dict[str, set[str]] = defaultdict(set)
        self.refs: dict[str, int] = {}  # ref -> line
        self.duplicate_refs: set[int] = set()
        self.original_refs: set[str] = set()  # not (yet) defined in the file when referenced
        self.all_original_refs: set[str] = set()
        self.ids: dict[str, dict[str, int]] = {}
        self.used_refs: set[str] = set()
        self.stored_originals: dict[str, int] = {}

    def collect(self, line: int, row: dict) -> None:
        for column in CODE_MODELS:
            value = (row.get(column) or "").strip()
            if value:
                self.codes[column].add(value)
        for code in (row.get("partner_codes") or "").split(";"):
            if code.strip():
                self.codes["partner_codes"].add(code.strip())
        ref = (row.get("ref") or "").strip()
        if ref:
            if ref in self.refs:
                self.duplicate_refs.add(line)
            else:
                self.refs[ref] = line
        original = (row.get("original_ref") or "").strip()
        if original:
            self.all_original_refs.add(original)
            if original not in self.refs:
                self.original_refs.add(original)

    def resolve(self) -> None:
        for column, model in CODE_MODELS.items():
            self.ids[column] = dict(
                model.objects.filter(code__in=self.codes[column]).values_list("code", "id")
            )
        self.ids["partner_codes"] = dict(
            Partner.objects.filter(code__in=self.codes["partner_codes"]).values_list("code", "id")
        )
        model = {
            ImportBatch.Kind.EVENTS: ValueEvent,
            ImportBatch.Kind.SIGNALS: UserSignal,
            ImportBatch.Kind.INDICATORS: PurposeIndicator,
        }[self.kind]
        refs = list(self.refs)
        for start in range(0, len(refs), QUERY_CHUNK):
            self.used_refs.update(
                model.objects.filter(
                    logged_by=self.actor, idempotency_key__in=refs[start : start + QUERY_CHUNK]
                ).values_list("idempotency_key", flat=True)
            )
        if self.original_refs:
            keyed = dict(
                ValueEvent.objects.filter(
                    logged_by=self.actor, idempotency_key__in=self.original_refs
                ).values_list("idempotency_key", "id")
            )
            numeric = {r for r in self.original_refs if r.isdigit() and r not in keyed}
            if numeric:
                keyed.update(
                    {
                        str(pk): pk
                        for pk in ValueEvent.objects.filter(pk__in=numeric).values_list("id", flat=True)
                    }
                )
            self.stored_originals = keyed
