//! The SQL behind each store operation, and the migrations that install its schema.
//!
//! Every operation is one statement: a plain `INSERT ... ON CONFLICT`, `UPDATE`,
//! `DELETE` or `SELECT`, or one call of a plpgsql function the first migration
//! installs (`check_code`, `resend_code`, `reserve`, `release`), which runs in the
//! statement's own transaction and takes the row locks it needs.

/// One migration: its version (its place in order) and its SQL, with `__SCHEMA__`
/// standing for the quoted schema name.
pub(super) struct Migration {
    pub(super) version: i32,
    pub(super) sql: &'static str,
}

/// Every migration, oldest first. A new one is appended, never edited once released:
/// installed databases have run the old text.
pub(super) static MIGRATIONS: [Migration; 2] = [
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_wider_ids.sql"),
    },
];

/// The statements of one store, with its schema written in once at build time so no
/// call formats SQL.
#[derive(Debug)]
pub(super) struct Statements {
    pub(super) create: String,
    pub(super) check: String,
    pub(super) resend: String,
    pub(super) cancel: String,
    pub(super) status: String,
    pub(super) status_for: String,
    pub(super) reset_subject: String,
    pub(super) reserve: String,
    pub(super) release: String,
    pub(super) counts: String,
    pub(super) link: String,
    pub(super) delivery: String,
    pub(super) purge: String,
}

impl Statements {
    /// The statements for the (already quoted) schema `s`.
    pub(super) fn new(s: &str) -> Self {
        Self {
            // A held id whose purge time has passed is forgotten as far as callers are
            // concerned: the insert replaces it. A live one is left alone, and no row
            // comes back: a conflict.
            create: format!(
                "INSERT INTO {s}.challenges AS c (id, binding, digests, expires_at, resend_at, \
                 purge_at, attempts, max_attempts, sends, max_sends, decoy) \
                 VALUES ($1, $2, ARRAY[$3::bytea], $4, $5, $6, 0, $7, 1, $8, $9) \
                 ON CONFLICT (id) DO UPDATE SET binding = EXCLUDED.binding, \
                 digests = EXCLUDED.digests, expires_at = EXCLUDED.expires_at, \
                 resend_at = EXCLUDED.resend_at, purge_at = EXCLUDED.purge_at, attempts = 0, \
                 max_attempts = EXCLUDED.max_attempts, sends = 1, \
                 max_sends = EXCLUDED.max_sends, decoy = EXCLUDED.decoy, delivery = NULL, \
                 delivery_provider = NULL \
                 WHERE c.purge_at <= $10 RETURNING 1"
            ),
            check: format!(
                "SELECT outcome, attempts_left FROM {s}.check_code($1, $2, $3, $4, $5, $6, $7)"
            ),
            resend: format!(
                "SELECT outcome, expires_at, resend_at, attempts_left, sends_left, delivery, \
                 delivery_provider FROM {s}.resend_code($1, $2, $3, $4, $5)"
            ),
            cancel: format!("DELETE FROM {s}.challenges WHERE id = $1 RETURNING 1"),
            status: format!(
                "SELECT expires_at, resend_at, attempts, max_attempts, sends, max_sends, \
                 delivery FROM {s}.challenges WHERE id = $1 AND purge_at > $2"
            ),
            // Another binding's challenge is not there, as in check and resend.
            status_for: format!(
                "SELECT expires_at, resend_at, attempts, max_attempts, sends, max_sends, \
                 delivery FROM {s}.challenges WHERE id = $1 AND purge_at > $2 \
                 AND binding = $3"
            ),
            reset_subject: format!("DELETE FROM {s}.subjects WHERE name = $1"),
            reserve: format!("SELECT {s}.reserve($1, $2, $3, $4, $5)"),
            release: format!("SELECT {s}.release($1, $2, $3, $4)"),
            counts: format!(
                "SELECT coalesce(c.used, 0) FROM unnest($1::text[]) WITH ORDINALITY AS k(name, i) \
                 LEFT JOIN {s}.counters c ON c.name = k.name AND c.window_end > $2 ORDER BY k.i"
            ),
            // Only a live challenge gets a link, and the link dies with it.
            link: format!(
                "INSERT INTO {s}.links (message, challenge, purge_at) \
                 SELECT $1, c.id, c.purge_at FROM {s}.challenges c \
                 WHERE c.id = $2 AND c.purge_at > $3 \
                 ON CONFLICT (message) DO UPDATE SET challenge = EXCLUDED.challenge, \
                 purge_at = EXCLUDED.purge_at"
            ),
            delivery: format!(
                // A report that gets less far than the one held (a stale or replayed
                // "failed" after "delivered") leaves it: progress is pending 0,
                // failed 1, delivered 2 (codes 0; 2 and 3; 1).
                "UPDATE {s}.challenges c SET \
                 delivery = CASE WHEN {held} > {new} THEN c.delivery ELSE $2 END, \
                 delivery_provider = CASE WHEN {held} > {new} THEN c.delivery_provider ELSE $3 END \
                 FROM {s}.links l WHERE l.message = $1 AND l.purge_at > $4 \
                 AND c.id = l.challenge AND c.purge_at > $4 RETURNING c.id",
                held = "(CASE c.delivery WHEN 1 THEN 2 WHEN 2 THEN 1 WHEN 3 THEN 1 WHEN 0 THEN 0 ELSE -1 END)",
                new = "(CASE $2::smallint WHEN 1 THEN 2 WHEN 2 THEN 1 WHEN 3 THEN 1 ELSE 0 END)"
            ),
            purge: purge(s),
        }
    }
}

/// One batch of purging, over every table in one statement. Each table gives up at most
/// `$2` rows past their time (`$1`), found through its expiry index, and skips rows a
/// live operation holds (`SKIP LOCKED`), so a purge never waits on, nor holds up for
/// long, the operations that matter. `ctid = ANY(ARRAY(...))` makes the delete a TID
/// scan; `ctid IN (SELECT ...)` could be planned as a join over the whole table.
fn purge(s: &str) -> String {
    let one = |table: &str, column: &str| {
        format!(
            "DELETE FROM {s}.{table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {s}.{table} \
             WHERE {column} <= $1 ORDER BY {column} LIMIT $2 FOR UPDATE SKIP LOCKED)) \
             AND {column} <= $1 RETURNING 1"
        )
    };
    format!(
        "WITH ch AS ({}), li AS ({}), co AS ({}), su AS ({}) \
         SELECT (SELECT count(*) FROM ch), (SELECT count(*) FROM li), \
         (SELECT count(*) FROM co), (SELECT count(*) FROM su)",
        one("challenges", "purge_at"),
        one("links", "purge_at"),
        one("counters", "window_end"),
        one("subjects", "forget_at"),
    )
}
