"""Accounts of the allocation targets: their codes, and the accounts created in bulk on first use."""

from ledger.models import Account
from ledger.posting.specs import BULK_BATCH, Plan
from orgs.models import Microenterprise


def account_code(target, currency: str, ctx_codes: dict) -> tuple[str, dict]:
    """Account code and create-fields for an allocation target."""
    kind, owner = target
    if kind == "clearing":
        return f"clearing:{currency}", {
            "kind": Account.Kind.CLEARING,
            "name": f"User-payments clearing {currency}",
        }
    if kind == "platform":
        return f"platform-fee:{currency}", {
            "kind": Account.Kind.PLATFORM,
            "name": f"Platform service fee {currency}",
        }
    if kind == "payable":
        return f"payable:{currency}", {"kind": Account.Kind.PAYABLE, "name": f"Payouts payable {currency}"}
    code = ctx_codes[(kind, owner)]
    if kind == "me":
        return f"me:{code}:{currency}", {
            "kind": Account.Kind.ME,
            "me_id": owner,
            "name": f"ME {code} {currency}",
        }
    if kind == "partner":
        return f"partner:{code}:{currency}", {
            "kind": Account.Kind.PARTNER,
            "partner_id": owner,
            "name": f"Partner {code} {currency}",
        }
    if kind == "emc_holdback":
        return f"emc-holdback:{code}:{currency}", {
            "kind": Account.Kind.EMC_HOLDBACK,
            "emc_id": owner,
            "name": f"EMC {code} holdback {currency}",
        }
    raise ValueError(f"unknown account target {target!r}")


def accounts_get_or_create(*, wanted: dict[str, dict], known: dict[str, int] | None = None) -> dict[str, int]:
    """Map account codes to ids, creating missing accounts in bulk (`wanted`: code -> fields).
    `known` (code -> id, e.g. prefetched with the batch's lookups) spares the query."""
    known = known or {}
    found = {code: known[code] for code in wanted if code in known}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        found.update(Account.objects.filter(code__in=unknown).values_list("code", "id"))
    missing = [code for code in wanted if code not in found]
    if missing:
        Account.objects.bulk_create(
            [Account(code=code, **wanted[code]) for code in missing],
            ignore_conflicts=True,
            batch_size=BULK_BATCH,
        )
        found.update(Account.objects.filter(code__in=missing).values_list("code", "id"))
    return found


def target_codes(plans: list[Plan], ctx) -> dict:
    codes = {("me", pk): me.code for pk, me in ctx.mes.items()}
    codes.update({("emc_holdback", pk): e["code"] for pk, e in ctx.emcs.items()})
    codes.update({("partner", pk): p["code"] for pk, p in ctx.partners.items()})
    # node MEs of the contract need not be the MEs that logged: load the missing codes at once
    missing = {
        p.target[1]
        for plan in plans
        for p in plan.parts
        if isinstance(p.target, tuple) and p.target[0] == "me"
    }
    missing -= set(ctx.mes)
    codes.update({("me", pk): code for pk, code in ctx.other_me_codes.items()})
    missing -= set(ctx.other_me_codes)
    if missing:
        codes.update(
            {
                ("me", pk): code
                for pk, code in Microenterprise.objects.filter(pk__in=missing).values_list("id", "code")
            }
        )
    return codes
