"""Web pages of the ledger: landing page, the log forms, the ME ledger, imports, transactions."""

from ledger.views import entry, home, imports, me_ledger, transactions

__all__ = ["entry", "home", "imports", "me_ledger", "transactions"]
