"""The tier gates of a draft contract version, in a web form: one choice per tier (no gate, or
one of the contract's vertical VAM goals), checked by the ledger's contract terms rules field by
field, then written by `payouts.services.gates.tier_gates_set` (the API's service)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from config.errors import ConflictError
from config.web import rule_required
from ledger.contract_terms import tier_gates_validate
from ledger.models import Contract, ContractGoal
from payouts.models import TierGate
from payouts.services.gates import tier_gates_set


class TierGatesForm(forms.Form):
    """A field per tier of the contract, named by its position (`tier_1`, ...): a metric code or
    "" for no gate. The posted code is not limited to the choices here: the contract terms rules
    judge it, so a crafted value gets the API's message, on its field."""

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.tiers = list(contract.tiers.order_by("threshold_pct"))
        goals = [g for g in contract.goals.all() if g.axis == ContractGoal.Axis.VERTICAL]
        choices = [("", _("No gate: the tier always applies"))] + [
            (g.metric, f"{g.get_metric_display()} ≥ {g.target.normalize():f} {g.unit}".strip()) for g in goals
        ]
        gated = {
            g.tier_id: g.goal.metric
            for g in TierGate.objects.filter(contract=contract).select_related("goal")
        }
        for n, tier in enumerate(self.tiers, start=1):
            self.fields[f"tier_{n}"] = forms.CharField(
                label=_("Tier from %(t)s%% of the target (rate %(r)s%%)")
                % {"t": f"{tier.threshold_pct.normalize():f}", "r": f"{tier.rate_pct.normalize():f}"},
                required=False,
                max_length=40,
                initial=gated.get(tier.pk, ""),
                widget=forms.Select(choices=choices, attrs={"class": "form-select form-select-sm"}),
            )

    def clean(self):
        data = super().clean()
        self.gates = []
        for n, tier in enumerate(self.tiers, start=1):
            metric = data.get(f"tier_{n}")
            if not metric:
                continue
            gate = {"threshold_pct": tier.threshold_pct, "metric": metric}
            try:  # the same rules as the API's, one tier at a time: the error lands on its field
                tier_gates_validate(contract=self.contract, gates=[gate])
            except ValidationError as exc:
                self.add_error(f"tier_{n}", exc.message_dict["gates"])
                continue
            self.gates.append(gate)
        return data


@rule_required("ledger.manage_contracts")
def contract_tier_gates(request, pk):
    contract = get_object_or_404(Contract.objects.select_related("emc"), pk=pk)
    form = TierGatesForm(request.POST or None, contract=contract)
    draft = contract.status == Contract.Status.DRAFT
    for field in form.fields.values():
        field.disabled = not draft  # shown, not editable; a POST is refused by the service
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                tier_gates_set(actor=request.user, contract=contract, gates=form.gates)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ConflictError as exc:
                form.add_error(None, " ".join(exc.messages))
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("The tier gates are saved."))
                return redirect("payouts:contract-tier-gates", pk=contract.pk)
    return render(
        request,
        "payouts/tier_gates.html",
        {
            "contract": contract,
            "form": form,
            "draft": draft,
            "goals": contract.goals.all(),
        },
        status=status,
    )
