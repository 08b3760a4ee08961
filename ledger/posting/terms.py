"""Contract terms as plain data for the posting engine (loaded once per batch).

Posting takes no holdback: the contract's `holdback_pct` is the payout holdback, a share of the
ME's incentive kept `holdback_days` and then released (payouts, docs/payouts.md "One holdback").
Posting credits the whole remainder to the node MEs; legs posted before this rule on the EMC's
holdback account stay as they are (append-only) and read as history."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from ledger.allocation import PaymentSplitter
from ledger.models import Contract, ContractNodeShare, ContractPartnerShare


@dataclass(frozen=True)
class Terms:
    contract_id: int
    emc_id: int
    version: int
    effective_from: dt.date
    currency: str
    fee_pct: Decimal
    partner_pcts: dict[int, Decimal]
    node_pcts: tuple[tuple[int, Decimal], ...]

    @cached_property
    def splitter(self) -> PaymentSplitter:
        """The payment rule of these terms, prepared once for all the payments they split."""
        return PaymentSplitter(
            fee_pct=self.fee_pct,
            partner_pcts=self.partner_pcts,
            holdback_pct=Decimal(0),  # the holdback is the payout's, never the posting's
            node_pcts=self.node_pcts,
            emc_id=self.emc_id,
        )


def terms_load(*, emc_ids: set[int], until: dt.date) -> dict[int, list[Terms]]:
    """Approved contracts of the EMCs effective by `until`, newest first, in three queries."""
    contracts = list(
        Contract.objects.filter(
            emc_id__in=emc_ids, status=Contract.Status.APPROVED, effective_from__lte=until
        ).values_list("id", "emc_id", "version", "effective_from", "currency", "platform_fee_pct")
    )
    if not contracts:
        return {}
    ids = [c[0] for c in contracts]
    partner_rows = ContractPartnerShare.objects.filter(contract_id__in=ids).values_list(
        "contract_id", "partner_id", "share_pct"
    )
    node_rows = ContractNodeShare.objects.filter(contract_id__in=ids).values_list(
        "contract_id", "me_id", "share_pct"
    )
    return terms_build(contracts, partner_rows, node_rows)


def terms_build(contracts, partner_rows, node_rows) -> dict[int, list[Terms]]:
    """Terms by EMC, newest first, from (id, emc_id, version, effective_from, currency, fee)
    contract rows and (contract_id, party_id, pct) share rows."""
    partner_pcts = defaultdict(dict)
    for contract_id, partner_id, pct in partner_rows:
        partner_pcts[contract_id][partner_id] = pct
    node_pcts = defaultdict(list)
    for contract_id, me_id, pct in node_rows:
        node_pcts[contract_id].append((me_id, pct))
    by_emc = defaultdict(list)
    for cid, emc_id, version, eff, currency, fee in contracts:
        by_emc[emc_id].append(
            Terms(
                cid,
                emc_id,
                version,
                eff,
                currency,
                fee,
                partner_pcts[cid],
                tuple(sorted(node_pcts[cid])),
            )
        )
    for terms in by_emc.values():
        terms.sort(key=lambda t: (t.effective_from, t.version), reverse=True)
    return dict(by_emc)


def terms_in_force(candidates: list[Terms] | None, on: dt.date) -> Terms | None:
    """The approved contract with the greatest (effective_from, version) effective on `on`."""
    for terms in candidates or ():
        if terms.effective_from <= on:
            return terms
    return None
