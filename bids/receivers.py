"""What bids does when the ledger approves a contract version."""


def on_contract_approving(sender, *, contract, actor, **kwargs) -> None:
    """Seat the winner of the award that drafted this version (nothing for other versions)."""
    from bids.services import order_winner_seat

    order_winner_seat(actor=actor, contract=contract)
