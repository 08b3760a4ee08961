"""The ledger's landing page: an ME person's own MEs; finance, auditors and admins every account."""

from django.shortcuts import render
from django.utils import timezone

from config.web import paginate, rule_required
from ledger import ui_selectors
from ledger.forms import AccountFilterForm


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
