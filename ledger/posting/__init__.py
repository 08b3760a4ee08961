"""The posting engine: ONE code path for a single logged event and a 100,000-row import.

A batch of `specs.ValueEventSpec` is validated whole, set-based (a fixed number of queries
whatever its size), then written with bulk inserts, all in the caller's DB transaction.
Validation collects every error by spec index and field, so a batch is all-or-nothing.
Everything posts through `ledger.services` (which asks who may post); this is its engine.

    engine.py     the entry: `batch_plan` (validate a batch, or a chunk of a larger one, and
                  plan each event's split) and `batch_write` (write a batch planned clean)
    specs.py      what goes in and out: ValueEventSpec, Plan, Planned, RowErrors, BatchValidationError
    checks.py     the checks every event passes (fields, the organization's date rules)
    payments.py   a payment's contract in force and its split (`terms_on`: the log form's preview)
    refunds.py    what a refund inherits from its payment, and its split by what is still held
    terms.py      contract terms as plain data, loaded once per batch
    accounts.py   account codes of allocation targets; accounts created in bulk
    write.py      transactions, events, partner links and legs inserted from valid plans (on
                  PostgreSQL one statement for a batch below COPY_MIN_ROWS events)
    legs.py       LegRow (a leg as plain data) and the balance check
    copy.py       the text of legs: basis JSON and COPY lines
    rollups.py    legs written with their daily rollups (AccountDay); a one-statement write
                  inserts its legs itself, their rollups by the same database trigger
    reversals go through `ledger.services.transaction_reverse`, which writes with legs/rollups
"""
