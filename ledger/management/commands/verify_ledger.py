"""Verify the ledger (ledger.verification): exit code 0 when clean, 1 on any break."""

import json

from django.core.management.base import BaseCommand, CommandError

from ledger.verification import ledger_verify


class Command(BaseCommand):
    help = (
        "Check that every transaction balances, the rollups equal the legs, every value event has "
        "its transaction and the hash chain over posted transactions holds; seal what a clean "
        "check covered. Incremental (what was recorded since the last clean check) unless --full. "
        "Exit code 1 on any break."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="check the whole ledger, every seal")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        result = ledger_verify(full=options["full"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            scope = "whole ledger" if result.full else "since the last clean check"
            self.stdout.write(
                f"verify_ledger ({scope}): {result.transactions_checked} transaction(s) checked"
            )
            for found in result.breaks:
                ids = ", ".join(str(i) for i in found.ids)
                more = f" (first {len(found.ids)})" if found.count > len(found.ids) else ""
                self.stdout.write(
                    self.style.ERROR(f"BREAK {found.check}: {found.count} - {found.detail}{more}: {ids}")
                )
            if result.seal_number is not None:
                self.stdout.write(f"sealed as #{result.seal_number}")
            if result.chain_head:
                self.stdout.write(f"chain head: {result.chain_head}")
        if not result.ok:
            raise CommandError(f"the ledger has {len(result.breaks)} kind(s) of break", returncode=1)
        if not options["json"]:
            self.stdout.write(self.style.SUCCESS("ledger verified: no break"))
