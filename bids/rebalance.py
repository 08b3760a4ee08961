"""How an award rebalances the contract's shares (and the EMC's seat weights) around the winner.

The rule, exact in the contract's precision (four decimals):

- an **ME** wins share S: it takes S of the node pool (node shares sum to exactly 100); every
  other node share s_i becomes s_i x (100 - S) / Σs, rounded half-even to 0.0001, and what the
  rounding leaves over (100 - S - Σ rounded, a few ten-thousandths at most) goes to the largest
  rebalanced share (ties: the lowest ME code). A winner already among the nodes gives up its old
  share first. The EMC's seat weights are rebalanced the same way.
- a **partner** wins share S: its partner share (of the events it takes part in) becomes S; the
  other partners keep theirs while the platform fee and all partner shares stay within 100%,
  otherwise they are scaled pro rata (same rounding and remainder rule, ties by partner code)
  down to 100 - fee - S. Node shares are not touched: the partners' cut comes off the top.

Example: nodes A 33.3334, B 33.3333, C 33.3333 and an ME D wins 12.5: the others are scaled to
87.5 (x 0.875): A 29.16672 → 29.1667, B and C 29.1666375 → 29.1666; their sum 87.4999 leaves
0.0001, which goes to A (the largest): A 29.1668, B 29.1666, C 29.1666, D 12.5 — total 100.
"""

from decimal import ROUND_HALF_EVEN, Decimal

QUANTUM = Decimal("0.0001")
HUNDRED = Decimal(100)


def scale_to(shares: dict[str, Decimal], total: Decimal) -> dict[str, Decimal]:
    """Scale {code: share} pro rata to sum exactly to `total` (four decimals, see the module)."""
    if not shares:
        return {}
    current = sum(shares.values(), Decimal(0))
    if current == 0:
        scaled = dict.fromkeys(shares, (total / len(shares)).quantize(QUANTUM, rounding=ROUND_HALF_EVEN))
    else:
        scaled = {
            code: (share * total / current).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
            for code, share in shares.items()
        }
    remainder = total - sum(scaled.values(), Decimal(0))
    if remainder:
        largest = min(scaled, key=lambda code: (-scaled[code], code))
        scaled[largest] += remainder
    return scaled


def with_winner(shares: dict[str, Decimal], *, winner: str, share: Decimal, total: Decimal = HUNDRED) -> dict:
    """The node pool after `winner` takes `share`: the others scaled to `total - share`."""
    others = {code: s for code, s in shares.items() if code != winner}
    return scale_to(others, total - share) | {winner: share}


def partners_with_winner(
    shares: dict[str, Decimal], *, winner: str, share: Decimal, fee: Decimal
) -> dict[str, Decimal]:
    """Partner shares after `winner` takes `share`: the others scaled only if fee + all > 100."""
    others = {code: s for code, s in shares.items() if code != winner}
    room = HUNDRED - fee - share
    if sum(others.values(), Decimal(0)) > room:
        others = scale_to(others, max(room, Decimal(0)))
    return others | {winner: share}
