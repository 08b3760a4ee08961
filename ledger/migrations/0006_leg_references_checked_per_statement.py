"""Legs' references are checked once per statement instead of once per row and column.

Legs are the ledger's highest-volume rows (about 8 per value event). A FOREIGN KEY costs
PostgreSQL one lookup per row and column at commit: for a 20,000-row CSV import that was 480,000
lookups and 1.3 of its 3.4 seconds of database time. This migration:

1. drops the three FK constraints of ledger_leg (transaction, account, contract) and the two
   indexes nothing reads (account alone: (account, effective_on) serves it; contract: the
   transaction carries the contract and is indexed), and the redundant single-column indexes
   of value events (me, emc: the (me|emc, occurred_on) indexes serve them) and partner links
   (event: the unique (event, partner) index serves it);
2. PostgreSQL: replaces the statement-level trigger on legs with `ledger_leg_checked`, which
   checks, set-based over the statement's new rows (transition table), everything the old
   trigger did (legs only join a transaction created by this DB transaction and not yet
   checked as balanced) plus what the FKs did (the transaction, the account and the contract
   exist) plus one thing they did not (a leg's currency is its account's);
3. PostgreSQL: accounts and contracts refuse DELETE (transactions already do), so a reference
   checked on insert stays valid. TRUNCATE stays allowed, as for the other ledger tables.
"""

import django.db.models.deletion
from django.db import migrations, models

from ledger.migrations._postgres import postgres_sql

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_new_legs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint := ledger_checked_upto();
    bad record;
BEGIN
    SELECT n.transaction_id, t.id AS found, t.created_txid INTO bad
      FROM (SELECT DISTINCT transaction_id FROM new_legs) n
      LEFT JOIN ledger_transaction t ON t.id = n.transaction_id
     WHERE t.id IS NULL OR t.created_txid <> txid_current() OR n.transaction_id <= upto
     ORDER BY n.transaction_id
     LIMIT 1;
    IF FOUND THEN
        IF bad.found IS NULL THEN
            RAISE EXCEPTION 'ledger leg refers to transaction %, which does not exist', bad.transaction_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF bad.created_txid <> txid_current() THEN
            RAISE EXCEPTION 'ledger transaction % is already committed; legs cannot be added',
                bad.transaction_id USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger transaction % was already checked as balanced; legs cannot be added',
            bad.transaction_id USING ERRCODE = 'check_violation';
    END IF;

    SELECT n.account_id, n.currency, a.id AS found, a.currency AS account_currency INTO bad
      FROM (SELECT DISTINCT account_id, currency FROM new_legs) n
      LEFT JOIN ledger_account a ON a.id = n.account_id
     WHERE a.id IS NULL OR a.currency <> n.currency
     LIMIT 1;
    IF FOUND THEN
        IF bad.found IS NULL THEN
            RAISE EXCEPTION 'ledger leg refers to account %, which does not exist', bad.account_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RAISE EXCEPTION 'ledger leg in % on account %, which is in %', bad.currency, bad.account_id,
            bad.account_currency USING ERRCODE = 'check_violation';
    END IF;

    SELECT n.contract_id INTO bad
      FROM (SELECT DISTINCT contract_id FROM new_legs WHERE contract_id IS NOT NULL) n
      LEFT JOIN ledger_contract c ON c.id = n.contract_id
     WHERE c.id IS NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger leg refers to contract %, which does not exist', bad.contract_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_leg_same_db_transaction ON ledger_leg;
DROP FUNCTION IF EXISTS ledger_check_legs_same_db_transaction();
CREATE TRIGGER ledger_leg_checked
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_legs();

CREATE OR REPLACE FUNCTION ledger_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted: legs refer to them', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER ledger_account_no_delete
    BEFORE DELETE ON ledger_account FOR EACH ROW EXECUTE FUNCTION ledger_refuse_delete();
CREATE TRIGGER ledger_contract_no_delete
    BEFORE DELETE ON ledger_contract FOR EACH ROW EXECUTE FUNCTION ledger_refuse_delete();
"""

# back to 0004's trigger (the FK constraints come back with the AlterField operations)
BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_contract_no_delete ON ledger_contract;
DROP TRIGGER IF EXISTS ledger_account_no_delete ON ledger_account;
DROP FUNCTION IF EXISTS ledger_refuse_delete();
DROP TRIGGER IF EXISTS ledger_leg_checked ON ledger_leg;
DROP FUNCTION IF EXISTS ledger_check_new_legs();

CREATE OR REPLACE FUNCTION ledger_check_legs_same_db_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    closed_id bigint;
    upto bigint := ledger_checked_upto();
BEGIN
    SELECT t.id INTO closed_id
      FROM ledger_transaction t
      JOIN (SELECT DISTINCT transaction_id FROM new_legs) n ON n.transaction_id = t.id
     WHERE t.created_txid <> txid_current()
     LIMIT 1;
    IF closed_id IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % is already committed; legs cannot be added', closed_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF upto > 0 THEN
        SELECT transaction_id INTO closed_id FROM new_legs WHERE transaction_id <= upto LIMIT 1;
        IF closed_id IS NOT NULL THEN
            RAISE EXCEPTION 'ledger transaction % was already checked as balanced; legs cannot be added',
                closed_id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_leg_same_db_transaction
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_legs_same_db_transaction();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_events_append_only"),
        ("orgs", "0002_reference_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="leg",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="legs",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="leg",
            name="contract",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.contract",
            ),
        ),
        migrations.AlterField(
            model_name="leg",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="legs",
                to="ledger.transaction",
            ),
        ),
        migrations.AlterField(
            model_name="valueevent",
            name="emc",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="value_events",
                to="orgs.emc",
            ),
        ),
        migrations.AlterField(
            model_name="valueevent",
            name="me",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="value_events",
                to="orgs.microenterprise",
            ),
        ),
        migrations.AlterField(
            model_name="valueeventpartner",
            name="event",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="partner_links",
                to="ledger.valueevent",
            ),
        ),
        postgres_sql(FORWARD, BACKWARD),
    ]
