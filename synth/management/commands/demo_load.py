"""Load the demo ecosystem (people, organization, partners, contracts, a year of value events and
signals, the nightly figures over it).

It lives in `synth`, the top layer, because it writes through every app in order: each loader
builds on the ones before it. Safe to run again: every loader checks what is already there and
adds nothing twice.
"""

from django.core.management.base import BaseCommand

from bids.demo import demo_bids_load
from judging.demo import demo_judging_load
from ledger.demo import demo_ledger_load
from orgs.demo import DEMO_PASSWORD, DEMO_USERS, demo_users_load
from orgs.demo_org import demo_org_load
from payouts.demo import demo_payouts_load
from scoring.demo import demo_scoring_load
from synth.demo import demo_history_load

# the organization, the ledger's last 90 days, the year before them, the nightly figures' inputs,
# then the judging rules (the backfill's nights make the proposals from them), then the payouts,
# then the orders for bids
LOADERS = [
    ("orgs.demo_org", demo_org_load),
    ("ledger.demo", demo_ledger_load),
    ("synth.demo", demo_history_load),
    ("scoring.demo", demo_scoring_load),
    ("judging.demo", demo_judging_load),
    ("payouts.demo", demo_payouts_load),
    ("bids.demo", demo_bids_load),
]


class Command(BaseCommand):
    help = "Load the demo ecosystem and print the demo logins (idempotent)."

    def handle(self, *args, **options):
        users = demo_users_load()
        for name, load in LOADERS:
            summary = load(users=users, progress=self.stdout.write)
            self.stdout.write(self.style.SUCCESS(f"{name}: {summary}"))
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for username, role, full_name in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role.label:<22} {full_name}")
