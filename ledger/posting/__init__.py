"""The posting engine: ONE code path for a single logged event and a 100,000-row import.

A batch of `specs.ValueEventSpec` is validated whole, set-based (a fixed number of queries
whatever its size), then written with bulk inserts, all in the caller's DB transaction.
Validation collects every error by spec index and field, so a batch is all-or-nothing.
Callers outside the ledger post through `ledger.services`; this package is its engine.

    engine.py     the entry: validate a batch (`value_events_validate`, `validate_chunk`) and
                  post it (`value_events_post`, `write_chunk`)
    specs.py      what goes in and out: ValueEventSpec, Plan, BatchValidationError
    terms.py      contract terms as plain data, loaded once per batch
    accounts.py   account codes of allocation targets; accounts created in bulk
    write.py      transactions, events and partner links inserted from valid plans
    legs.py       LegRow (a leg as plain data) and the balance check
    copy.py       the text of legs: basis JSON and COPY lines
    rollups.py    legs written with their daily rollups (AccountDay): the one way legs go in
"""
