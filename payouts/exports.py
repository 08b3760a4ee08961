"""The report's CSV for payroll and the general ledger: stable columns, ids, accounting
categories, amounts in major units of the report's currency (config.exports neutralises cells).
A locked report's CSV is the same bytes at every download: rows in key order, no download time."""

from ledger.money import format_minor
from payouts.models import PayoutLine

COLUMNS = [
    "report_id",
    "period_kind",
    "period_start",
    "period_end",
    "currency",
    "line_key",
    "kind",
    "accounting_category",
    "emc_id",
    "emc_code",
    "me_id",
    "me_code",
    "user_id",
    "username",
    "partner_id",
    "partner_code",
    "events",
    "value",
    "accrued",
    "capped",
    "adjustment",
    "held_back",
    "release_on",
    "released",
    "carried_in",
    "carried_out",
    "coinvest",
    "coinvest_returned",
    "coinvest_forfeited",
    "payable",
    "contract_versions",
    "tier",
    "rate_pct",
]

CATEGORY = {
    PayoutLine.Kind.EMC: "emc_user_paid_value",
    PayoutLine.Kind.ME: "incentive_payable",
    PayoutLine.Kind.MEMBER: "member_incentive",
    PayoutLine.Kind.PARTNER: "partner_share",
    PayoutLine.Kind.PLATFORM: "platform_fee",
}
AMOUNTS = (
    "value_minor",
    "accrued_minor",
    "capped_minor",
    "adjustment_minor",
    "held_back_minor",
)
AFTER_RELEASE = (
    "released_minor",
    "carried_in_minor",
    "carried_out_minor",
    "coinvest_minor",
    "coinvest_returned_minor",
    "coinvest_forfeited_minor",
    "payable_minor",
)


def report_csv_rows(report):
    """Header, then one row per line (streamed from the database in key order)."""
    period = report.period
    cur = period.currency
    yield COLUMNS
    lines = (
        PayoutLine.objects.filter(report=report)
        .select_related("emc", "me", "user", "partner")
        .order_by("key")
        .iterator(chunk_size=2000)
    )
    for line in lines:
        yield [
            report.pk,
            period.kind,
            period.start.isoformat(),
            period.end.isoformat(),
            cur,
            line.key,
            line.kind,
            CATEGORY[line.kind],
            line.emc_id,
            line.emc.code,
            line.me_id or "",
            line.me.code if line.me_id else "",
            line.user_id or "",
            line.user.get_username() if line.user_id else "",
            line.partner_id or "",
            line.partner.code if line.partner_id else "",
            line.events,
            *(format_minor(getattr(line, name), cur) for name in AMOUNTS),
            line.release_on.isoformat() if line.release_on else "",
            *(format_minor(getattr(line, name), cur) for name in AFTER_RELEASE),
            line.contract_versions,
            line.tier,
            "" if line.rate_pct is None else f"{line.rate_pct.normalize():f}",
        ]
