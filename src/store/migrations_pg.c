/* Versioned schema of the PostgreSQL store. Migrations are append-only:
 * version n is applied once, in its own transaction, and recorded in
 * schema_migrations; `init` applies the pending ones, `serve` refuses a
 * database whose newest version it does not know. Never edit a published
 * migration: add the next one. See docs/multi-instance.md. */
#include "store/store_int.h"

const dc__migration dc__pg_migrations[] = {
    {1, "core: operators, keys, entries, audit chain, change head",
     "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);"
     "CREATE TABLE operators(number bigint PRIMARY KEY, id text UNIQUE NOT NULL,"
     " name text UNIQUE NOT NULL, is_authority boolean NOT NULL, created bigint NOT NULL,"
     " change_seq bigint NOT NULL);"
     "CREATE INDEX operators_change ON operators(change_seq);"
     "CREATE TABLE api_keys(prefix text PRIMARY KEY, operator bigint NOT NULL,"
     " salt bytea NOT NULL, hash bytea NOT NULL, revoked boolean NOT NULL,"
     " created bigint NOT NULL, change_seq bigint NOT NULL);"
     "CREATE INDEX api_keys_change ON api_keys(change_seq);"
     "CREATE TABLE entries(id text PRIMARY KEY, is_restriction boolean NOT NULL,"
     " owner bigint NOT NULL, priority integer NOT NULL, state text NOT NULL,"
     " version bigint NOT NULL, volumes text NOT NULL, exempt text NOT NULL,"
     " note text NOT NULL, created bigint NOT NULL, updated bigint NOT NULL,"
     " change_seq bigint NOT NULL);"
     "CREATE INDEX entries_change ON entries(change_seq);"
     "CREATE TABLE audit(seq bigint PRIMARY KEY, entry bytea NOT NULL, hash bytea NOT NULL);"
     /* The single row every write transaction locks first: the write token,
      * the last committed change batch and the end of the audit chain. */
     "CREATE TABLE sync_head(id integer PRIMARY KEY CHECK (id = 1),"
     " change_seq bigint NOT NULL, audit_seq bigint NOT NULL, audit_hash bytea NOT NULL);"
     "INSERT INTO sync_head VALUES (1, 0, 0, decode(repeat('00', 32), 'hex'));"},
    {2, "tactical: monitoring lease, shared alerts, track reports",
     "CREATE TABLE leases(name text PRIMARY KEY, holder text NOT NULL,"
     " expires timestamptz NOT NULL);"
     /* alert_head hands out gap-free numbers: a publisher holds its row
      * lock until commit, so alerts commit in seq order. */
     "CREATE TABLE alert_head(id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL);"
     "INSERT INTO alert_head VALUES (1, 0);"
     "CREATE TABLE alerts(seq bigint PRIMARY KEY, body text NOT NULL,"
     " created timestamptz NOT NULL DEFAULT now());"
     /* Positions are worthless after 30 s: not WAL-logged, lost on a crash. */
     "CREATE UNLOGGED TABLE track_reports(seq bigserial PRIMARY KEY, operator bigint NOT NULL,"
     " body text NOT NULL, received timestamptz NOT NULL DEFAULT now());"},
    {3, "transparency log: leaves and signed checkpoints",
     "CREATE TABLE tlog_leaves(idx bigint PRIMARY KEY, seq bigint NOT NULL,"
     " party bigint NOT NULL, salt bytea NOT NULL, hash bytea NOT NULL);"
     "CREATE TABLE tlog_checkpoints(size bigint PRIMARY KEY, note text NOT NULL);"},
    {4, "operation names", "ALTER TABLE entries ADD COLUMN name text NOT NULL DEFAULT '';"},
    {5, "Mode S addresses: the operators' register, the operations' declarations",
     "CREATE TABLE mode_s(holder text PRIMARY KEY, addresses text NOT NULL);"},
    /* A promoted standby has no usable copy of an unlogged sequence
     * ("bad magic number"), and a sequence that restarted would hide new
     * reports from a monitor following seq > last: the table's rows stay
     * unlogged, its numbers become WAL-logged (docs/ha.md). */
    {6, "failover: track report numbers survive a promotion",
     "ALTER SEQUENCE track_reports_seq_seq SET LOGGED;"},
    /* One line per (checkpoint, witness key), kept like the checkpoints;
     * every instance reads the rows, so a line posted to one is served by
     * all (docs/transparency.md). */
    {7, "transparency log: witness cosignatures",
     "CREATE TABLE tlog_cosignatures(size bigint NOT NULL, witness text NOT NULL,"
     " line text NOT NULL, PRIMARY KEY (size, witness));"},
};

const size_t dc__pg_n_migrations = sizeof dc__pg_migrations / sizeof dc__pg_migrations[0];
