"""The named sizes of a synthetic ecosystem (see "Scale to plan for" in the domain brief)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    mes: int
    members: int  # people with a membership and a pay-share weight
    emcs: int
    partners: int
    end_users: int  # pseudonymous users who pay, come back, rate, co-create...
    scenarios: int
    categories: int
    events: int  # default number of value events in a year of history


SCALES = {
    # small fits a test on SQLite; medium is a tenth of Haier; haier is Haier's order of size
    "small": Scale("small", 40, 400, 10, 100, 2_000, 5, 12, 2_000),
    "medium": Scale("medium", 400, 4_000, 100, 1_000, 20_000, 12, 40, 100_000),
    "haier": Scale("haier", 4_000, 40_000, 1_000, 10_000, 200_000, 60, 73, 300_000),
}
