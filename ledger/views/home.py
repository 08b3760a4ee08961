"""The ledger's landing page: an ME person's own MEs; finance, auditors and admins every account."""

from django.shortcuts import render
from django.utils import timezone

from config.exports import csv_download
from config.web import paginate, rule_required
from ledger import ui_selectors
from ledger.forms import AccountFilterForm
from ledger.money import format_minor


@rule_required("ledger.view")
def home(request):
    user = request.user
    if user.has_perm("ledger.view_all"):
        form = AccountFilterForm(request.GET or None)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        as_of = data.get("as_of") or timezone.localdate()
        accounts = ui_selectors.accounts_list(
            kind=data.get("kind") or "", currency=data.get("currency") or "", q=data.get("q") or ""
        )
        page, query = paginate(request, accounts)
        return render(
            request,
            "ledger/home_all.html",
            {
                "filter": form,
                "as_of": as_of,
                "page": page,
                "query": query,
                "rows": ui_selectors.with_balances(page.object_list, as_of=as_of),
                "transactions": ui_selectors.recent_transactions(user=user),
                "my_mes": ui_selectors.me_cards(user=user, as_of=as_of),
                "can_log": user.has_perm("ledger.log_value_any"),
            },
        )
    as_of = timezone.localdate()
    return render(
        request,
        "ledger/home_me.html",
        {
            "as_of": as_of,
            "cards": ui_selectors.me_cards(user=user, as_of=as_of),
            "can_log": user.has_perm("ledger.log_value_any"),
            "transactions": ui_selectors.recent_transactions(user=user, limit=10),
        },
    )


# accounts per round trip of the balances export (their balances come in one query per chunk)
EXPORT_CHUNK = 2000


@rule_required("ledger.view_all")
def balances_export(request):
    """Every account (filtered as on the page) with its balance as of a date, as CSV: the
    balance as its owner sees it, in major units with the currency (streamed in chunks)."""
    form = AccountFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    as_of = data.get("as_of") or timezone.localdate()
    accounts = ui_selectors.accounts_list(
        kind=data.get("kind") or "", currency=data.get("currency") or "", q=data.get("q") or ""
    )

    def rows():
        yield ["account_code", "account_name", "kind", "currency", "as_of", "balance"]
        chunk = []
        for account in accounts.iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(account)
            if len(chunk) == EXPORT_CHUNK:
                yield from _balance_rows(chunk, as_of)
                chunk = []
        yield from _balance_rows(chunk, as_of)

    return csv_download(rows(), filename=f"balances-{as_of.isoformat()}.csv", stream=True)


def _balance_rows(accounts, as_of):
    for row in ui_selectors.with_balances(accounts, as_of=as_of):
        account = row["account"]
        yield [
            account.code,
            account.name,
            account.kind,
            account.currency,
            as_of.isoformat(),
            format_minor(row["balance_minor"], account.currency),
        ]
