"""Load the demo ecosystem (people, organization, partners, contracts, value events).

Safe to run again: every loader checks what is already there and adds nothing twice.
"""

from importlib import import_module

from django.core.management.base import BaseCommand

from orgs.demo import DEMO_PASSWORD, DEMO_USERS, demo_users_load

# each app's loader: module path and function; later loaders build on earlier ones
# (a module that is not installed is skipped: synth writes the year before the ledger's 90 days)
LOADERS = [
    ("orgs.demo_org", "demo_org_load"),
    ("ledger.demo", "demo_ledger_load"),
    ("synth.demo", "demo_history_load"),
]


class Command(BaseCommand):
    help = "Load the demo ecosystem and print the demo logins (idempotent)."

    def handle(self, *args, **options):
        users = demo_users_load()
        for module_path, func in LOADERS:
            try:
                module = import_module(module_path)
            except ModuleNotFoundError as exc:
                if exc.name != module_path:
                    raise
                continue
            summary = getattr(module, func)(users=users, progress=self.stdout.write)
            self.stdout.write(self.style.SUCCESS(f"{module_path}: {summary}"))
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for username, role, full_name in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role.label:<22} {full_name}")
