"""What the ledger tells the apps above it (bids), which must not be imported here.

`contract_approving` is sent by `ledger.services.contract_approve` inside its transaction, once
the draft is locked and the approver checked, BEFORE its terms are validated again, with
`contract` and `actor`. A receiver writes what the version needs to be in force (bids seats an
award's winner in the EMC); an exception it raises refuses the approval and nothing is written.
"""

from django.dispatch import Signal

contract_approving = Signal()
