"""The ledger verifies itself: `ledger_verify` (and `manage.py verify_ledger [--full]`).

Set-based checks, each break reported with the ids involved:

- `unbalanced`: a transaction with fewer than two legs, or whose legs do not sum to zero in
  each currency (transaction ids);
- `legs_without_transaction`: legs whose transaction is gone (leg ids; full);
- `rollup_mismatch`: an account's rollups of a day (net, debit, credit and leg count, over all
  its slots) differ from its legs of that day ([account id, day]);
- `event_mismatch`: a payment or refund transaction without its value event (or with one of
  another kind), or another kind of transaction with one (transaction ids);
- `event_without_transaction`: a value event whose transaction is gone (event ids; full);
- `digest_changed`, `digest_removed`: a sealed transaction whose rows (the transaction, its
  legs, its value event and the event's partners) no longer hash to the digest it was sealed
  with, or that is gone (transaction ids; full);
- `seal_broken`: a seal whose transactions' digests no longer hash to its window hash, whose
  chain hash is not SHA-256(previous chain hash + window hash), or that is missing from the
  numbering (seal numbers; full: every seal, incremental: the latest);
- `unsealed_below_horizon`: a transaction that a seal should have covered but did not, i.e.
  written around the guards (transaction ids; full).

The window, and why nothing is skipped. A clean check seals the transactions it looked at
(LedgerSeal, SealedTransaction): their digests, hashed in id order, chained to the seal
before. Ids are taken when rows are inserted, not when they commit, so a watermark by id
would skip a posting that commits late with a lower id. Instead the window is every
transaction not sealed yet whose DB transaction (created_txid) is at or above the latest
seal's `scan_from`; a seal's `scan_from` is the oldest DB transaction still running when the
seal was made (the snapshot's xmin): everything older had finished, so it was visible and got
sealed (or rolled back); everything younger is looked at next time. Sealed rows are left out
by id, so a window that starts early costs a few index lookups and never a skipped row.

Incremental (the default) checks the window only: its balance, its events, the rollups of the
(account, day)s its legs touch, and the latest seal's link: its cost follows what was recorded
since the last clean check. `full=True` runs every check over the whole ledger, then seals the
window the same way. A check with breaks seals nothing, so the next one sees the same window
again. Each comparison is one SQL statement (one snapshot), so postings committing meanwhile
cannot make legs and rollups look different.

The chain head (`chain_head`) is worth keeping outside the database (a backup log, a note):
someone able to rewrite every digest and the whole chain in the database could only be caught
by comparing it. On SQLite (development) every check runs over everything, without seals.
"""

import hashlib
import logging
from dataclasses import asdict, dataclass, field

from django.db import IntegrityError, connection, transaction

from config.errors import ConflictError
from ledger.models import LedgerSeal, Transaction
from orgs.audit import audit_record

logger = logging.getLogger(__name__)

DIGEST_VERSION = 1
IDS_SHOWN = 50  # ids listed per break (the count says how many there are)
GENESIS = "0" * 64  # the chain hash "before" the first seal
EVENT_KINDS = (Transaction.Kind.PAYMENT.value, Transaction.Kind.REFUND.value)
WINDOW = "ledger_verify_window"


@dataclass(frozen=True)
class LedgerBreak:
    check: str
    count: int
    ids: list
    detail: str


@dataclass(frozen=True)
class LedgerVerification:
    """What `ledger_verify` found. `ok` is False when there is any break."""

    ok: bool
    full: bool
    breaks: list[LedgerBreak] = field(default_factory=list)
    transactions_checked: int = 0  # transactions of the window (full: of the whole ledger)
    seal_number: int | None = None  # the seal this run wrote (None: nothing new, a break, SQLite)
    chain_head: str | None = None  # the latest seal's chain hash after the run

    def as_dict(self) -> dict:
        return asdict(self)


# --- a transaction's digest (version 1) ----------------------------------------------------

# Its row, its legs, its value event and the event's partners as one JSON text: unambiguous,
# timestamps as epoch microseconds (the session's time zone plays no part), columns listed
# (a column added to a table later does not change the digests of rows sealed before it).
_MICROS = "(extract(epoch FROM {}) * 1000000)::bigint"
DIGEST_SQL = f"""
SELECT t.id, sha256(convert_to(jsonb_build_array(
    t.id, t.kind, t.effective_on, {_MICROS.format("t.recorded_at")}, t.recorded_by_id, t.memo,
    t.contract_id, t.reverses_id, t.created_txid,
    (SELECT jsonb_agg(jsonb_build_array(l.id, l.account_id, l.currency, l.amount_minor,
                                        l.effective_on, l.rule, l.contract_id, l.basis) ORDER BY l.id)
       FROM ledger_leg l WHERE l.transaction_id = t.id),
    (SELECT jsonb_build_array(e.id, e.kind, e.me_id, e.emc_id, e.scenario_id, e.solution_id,
                              e.category_id, e.user_ref, e.amount_minor, e.currency,
                              {_MICROS.format("e.occurred_at")}, e.occurred_on, e.customized,
                              e.original_id, e.note, e.logged_by_id, {_MICROS.format("e.logged_at")},
                              e.source, e.import_batch_id, e.idempotency_key,
                              (SELECT jsonb_agg(p.partner_id ORDER BY p.partner_id)
                                 FROM ledger_valueeventpartner p WHERE p.event_id = e.id))
       FROM ledger_valueevent e WHERE e.transaction_id = t.id)
)::text, 'UTF8')) AS digest
  FROM ledger_transaction t
"""

# --- the checks (portable SQL; `{scope}` joins the window, or nothing for everything) -------

UNBALANCED = """
SELECT id FROM (
    SELECT t.id AS id, l.currency AS currency, sum(l.amount_minor) AS net, count(l.id) AS n
      FROM ledger_transaction t {scope}
      LEFT JOIN ledger_leg l ON l.transaction_id = t.id
     GROUP BY t.id, l.currency
) sums GROUP BY id HAVING sum(n) < 2 OR max(CASE WHEN net <> 0 THEN 1 ELSE 0 END) = 1
"""

LEGS_WITHOUT_TRANSACTION = """
SELECT l.id FROM ledger_leg l LEFT JOIN ledger_transaction t ON t.id = l.transaction_id
 WHERE t.id IS NULL
"""

_LEG_SUMS = """
SELECT l.account_id, l.effective_on AS day, sum(l.amount_minor) AS net,
       sum(CASE WHEN l.amount_minor > 0 THEN l.amount_minor ELSE 0 END) AS debit,
       sum(CASE WHEN l.amount_minor < 0 THEN -l.amount_minor ELSE 0 END) AS credit, count(*) AS n
  FROM ledger_leg l {touched_legs} GROUP BY l.account_id, l.effective_on
"""
_ROLLUP_SUMS = """
SELECT d.account_id, d.day, -sum(d.net_minor), -sum(d.debit_minor), -sum(d.credit_minor), -sum(d.legs)
  FROM ledger_accountday d {touched_days} GROUP BY d.account_id, d.day
"""
ROLLUP_MISMATCH = (
    "{touched} SELECT account_id, day FROM ("
    + _LEG_SUMS
    + " UNION ALL "
    + _ROLLUP_SUMS
    + ") x GROUP BY account_id, day"
    " HAVING sum(net) <> 0 OR sum(debit) <> 0 OR sum(credit) <> 0 OR sum(n) <> 0"
)
# the (account, day)s the window's legs touch (PostgreSQL, incremental)
TOUCHED = f"""WITH touched AS (
    SELECT DISTINCT l.account_id, l.effective_on AS day
      FROM ledger_leg l JOIN {WINDOW} w ON w.id = l.transaction_id
)"""

EVENT_MISMATCH = """
SELECT t.id FROM ledger_transaction t {scope}
  LEFT JOIN ledger_valueevent e ON e.transaction_id = t.id
 WHERE (t.kind IN (%s, %s) AND (e.id IS NULL OR e.kind <> t.kind))
    OR (t.kind NOT IN (%s, %s) AND e.id IS NOT NULL)
"""

EVENTS_WITHOUT_TRANSACTION = """
SELECT e.id FROM ledger_valueevent e LEFT JOIN ledger_transaction t ON t.id = e.transaction_id
 WHERE t.id IS NULL
"""

DIGEST_BREAKS = f"""
WITH now AS ({DIGEST_SQL} JOIN ledger_sealedtransaction sealed ON sealed.transaction_id = t.id)
SELECT CASE WHEN now.id IS NULL THEN 'digest_removed' ELSE 'digest_changed' END AS kind, s.transaction_id
  FROM ledger_sealedtransaction s LEFT JOIN now ON now.id = s.transaction_id
 WHERE now.id IS NULL OR now.digest <> s.digest
"""

UNSEALED_BELOW_HORIZON = """
SELECT t.id FROM ledger_transaction t
 WHERE t.created_txid < %s
   AND NOT EXISTS (SELECT 1 FROM ledger_sealedtransaction s WHERE s.transaction_id = t.id)
"""

SEALS = """
SELECT seal.number, seal.window_hash, seal.chain_hash, seal.transactions,
       encode(sha256(string_agg(st.digest, ''::bytea ORDER BY st.transaction_id)), 'hex'),
       count(st.transaction_id)
  FROM ledger_ledgerseal seal
  LEFT JOIN ledger_sealedtransaction st ON st.seal_id = seal.id
 WHERE seal.number >= %s
 GROUP BY seal.id
 ORDER BY seal.number
"""


def _found(cursor, sql: str, params=None, order: str = "1") -> tuple[int, list]:
    """(how many rows `sql` returns, the first IDS_SHOWN of them in `order`), in one pass; a
    row of one column is its id, a longer one a list (plain values: dates as ISO text)."""
    cursor.execute(f"SELECT x.*, count(*) OVER () FROM ({sql}) x ORDER BY {order} LIMIT {IDS_SHOWN}", params)
    rows = cursor.fetchall()
    if not rows:
        return 0, []
    plain = [[v.isoformat() if hasattr(v, "isoformat") else v for v in row[:-1]] for row in rows]
    return rows[0][-1], [row[0] if len(row) == 1 else row for row in plain]


def chain_hash(previous: str, window_hash: str) -> str:
    """SHA-256 of the previous seal's chain hash followed by this seal's window hash (hex)."""
    return hashlib.sha256(bytes.fromhex(previous) + bytes.fromhex(window_hash)).hexdigest()


def _checks(cursor, *, full: bool, postgres: bool) -> list[LedgerBreak]:
    breaks = []

    def add(check, sql, params=None, detail="", order="1"):
        count, ids = _found(cursor, sql, params, order)
        if count:
            breaks.append(LedgerBreak(check, count, ids, detail))

    scope = "" if full else f"JOIN {WINDOW} w ON w.id = t.id"
    add(
        "unbalanced",
        UNBALANCED.format(scope=scope),
        detail="fewer than two legs, or legs not summing to zero",
    )
    if full:
        add("legs_without_transaction", LEGS_WITHOUT_TRANSACTION, detail="legs whose transaction is gone")
        rollups = ROLLUP_MISMATCH.format(touched="", touched_legs="", touched_days="")
    else:
        rollups = ROLLUP_MISMATCH.format(
            touched=TOUCHED,
            touched_legs="JOIN touched ON touched.account_id = l.account_id AND touched.day = l.effective_on",
            touched_days="JOIN touched ON touched.account_id = d.account_id AND touched.day = d.day",
        )
    if postgres:  # SQLite returns dates as text; the same check, ids as they come
        rollups = rollups.replace("SELECT account_id, day FROM (", "SELECT account_id, day::text FROM (", 1)
    add("rollup_mismatch", rollups, detail="[account id, day]: rollups differ from the legs", order="1, 2")
    add(
        "event_mismatch",
        EVENT_MISMATCH.format(scope=scope),
        [*EVENT_KINDS, *EVENT_KINDS],
        detail="a payment or refund without its value event, or another transaction with one",
    )
    if full:
        add(
            "event_without_transaction",
            EVENTS_WITHOUT_TRANSACTION,
            detail="value events whose transaction is gone",
        )
    return breaks


def _chain_breaks(cursor, *, full: bool, latest: LedgerSeal | None) -> list[LedgerBreak]:
    """The digests of every sealed transaction (full) and the seals' chain (full: all of it;
    incremental: the latest seal's link to the one before)."""
    breaks = []
    if full:
        cursor.execute(
            f"SELECT kind, count(*), (array_agg(transaction_id ORDER BY transaction_id))[1:{IDS_SHOWN}]"
            f" FROM ({DIGEST_BREAKS}) x GROUP BY kind ORDER BY kind"
        )
        for kind, count, ids in cursor.fetchall():
            detail = "sealed, now changed" if kind == "digest_changed" else "sealed, now gone"
            breaks.append(LedgerBreak(kind, count, list(ids), detail))
    if latest is None:
        return breaks
    first = 1 if full else max(latest.number - 1, 1)
    checked_from = 1 if full else latest.number  # (incremental: the seal before gives `previous`)
    cursor.execute(SEALS, [first])
    bad, expected, previous = [], first, GENESIS
    for number, window_hash, stored_chain, sealed, recomputed, found in cursor.fetchall():
        if full and number != expected:  # seals missing from the numbering
            bad.extend(range(expected, number))
        if number >= checked_from and (
            recomputed != window_hash or found != sealed or stored_chain != chain_hash(previous, window_hash)
        ):
            bad.append(number)
        previous, expected = stored_chain, number + 1
    if bad:
        breaks.append(LedgerBreak("seal_broken", len(bad), bad[:IDS_SHOWN], "seal numbers"))
    return breaks


def ledger_verify(*, full: bool = False) -> LedgerVerification:
    """Check the ledger (see the module docstring) and seal what a clean check covered.

    Returns a LedgerVerification: `.ok`, `.breaks` ([LedgerBreak(check, count, ids, detail)]),
    `.transactions_checked`, `.seal_number`, `.chain_head`; `.as_dict()` for JSON. Raises
    ConflictError when another verification sealed meanwhile (run it again)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            breaks = _checks(cursor, full=True, postgres=False)
        result = LedgerVerification(
            ok=not breaks, full=True, breaks=breaks, transactions_checked=Transaction.objects.count()
        )
        _log(result)
        return result
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            result = _verify_postgres(cursor, full=full)
    except IntegrityError as exc:  # LedgerSeal.number is unique: one successor per seal
        raise ConflictError("Another verification sealed the ledger meanwhile; run it again.") from exc
    _log(result)
    return result


def _verify_postgres(cursor, *, full: bool) -> LedgerVerification:
    latest = LedgerSeal.objects.order_by("-number").first()
    cursor.execute("SELECT txid_snapshot_xmin(txid_current_snapshot())")
    (horizon,) = cursor.fetchone()
    # a horizon below the latest seal's: the data was restored into another cluster, whose
    # transaction ids start lower; look at every unsealed transaction once
    rebased = latest is not None and latest.scan_from > horizon
    scan_from = latest.scan_from if latest is not None and not rebased else 0
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{WINDOW}")
    cursor.execute(
        f"CREATE TEMP TABLE {WINDOW} ON COMMIT DROP AS SELECT t.id FROM ledger_transaction t"
        " WHERE t.created_txid >= %s"
        " AND NOT EXISTS (SELECT 1 FROM ledger_sealedtransaction s WHERE s.transaction_id = t.id)",
        [scan_from],
    )
    window = cursor.rowcount
    cursor.execute(f"ALTER TABLE {WINDOW} ADD PRIMARY KEY (id); ANALYZE {WINDOW}")

    breaks = _checks(cursor, full=full, postgres=True)
    breaks += _chain_breaks(cursor, full=full, latest=latest)
    if full and latest is not None and not rebased:
        count, ids = _found(cursor, UNSEALED_BELOW_HORIZON, [latest.scan_from])
        if count:
            breaks.append(
                LedgerBreak(
                    "unsealed_below_horizon", count, ids, "recorded where a seal should have covered them"
                )
            )
    checked = Transaction.objects.count() if full else window
    head = latest.chain_hash if latest is not None else None
    if breaks or not window:
        return LedgerVerification(not breaks, full, breaks, checked, None, head)
    seal = _seal(cursor, full=full, latest=latest, scan_from=horizon)
    return LedgerVerification(True, full, [], checked, seal.number, seal.chain_hash)


def _seal(cursor, *, full: bool, latest: LedgerSeal | None, scan_from: int) -> LedgerSeal:
    cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_verify_digest")
    cursor.execute(
        f"CREATE TEMP TABLE ledger_verify_digest ON COMMIT DROP AS {DIGEST_SQL} JOIN {WINDOW} w ON w.id = t.id"
    )
    cursor.execute(
        "SELECT count(*), min(id), max(id),"
        " encode(sha256(string_agg(digest, ''::bytea ORDER BY id)), 'hex') FROM ledger_verify_digest"
    )
    count, first_id, last_id, window_hash = cursor.fetchone()
    previous = latest.chain_hash if latest is not None else GENESIS
    seal = LedgerSeal.objects.create(
        number=(latest.number if latest is not None else 0) + 1,
        full=full,
        scan_from=scan_from,
        transactions=count,
        first_transaction_id=first_id,
        last_transaction_id=last_id,
        digest_version=DIGEST_VERSION,
        window_hash=window_hash,
        chain_hash=chain_hash(previous, window_hash),
    )
    cursor.execute(
        "INSERT INTO ledger_sealedtransaction (transaction_id, seal_id, digest)"
        " SELECT id, %s, digest FROM ledger_verify_digest",
        [seal.pk],
    )
    audit_record(
        actor=None,
        action="ledger.seal",
        target=seal,
        changes={"transactions": count, "first": first_id, "last": last_id, "chain_hash": seal.chain_hash},
    )
    return seal


def _log(result: LedgerVerification) -> None:
    for found in result.breaks:
        logger.error("ledger break %s: %s (%s) %s", found.check, found.count, found.detail, found.ids)
    if result.ok:
        logger.info(
            "ledger verified: %s transactions, seal %s, chain head %s",
            result.transactions_checked,
            result.seal_number,
            result.chain_head,
        )
