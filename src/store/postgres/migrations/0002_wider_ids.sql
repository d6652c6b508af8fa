-- smsotp PostgresStore, migration 2: challenge ids are 20 bytes (128 bits from the
-- CSPRNG, then 32 a store may use to name where it keeps the record).
--
-- __SCHEMA__ is replaced by the configured schema, already quoted, before this runs.
-- 16-byte ids stay allowed, so instances not yet upgraded keep working during a rolling
-- deploy instead of failing every start. The two versions cannot check each other's
-- challenges (the id forms differ): one started on the other version answers as not
-- found, and the person asks for a new code. Old rows expire and are purged as usual.
--
-- Changing the constraint locks the table and reads it once: give up soon rather than
-- queue every operation behind a long-running transaction (`migrate` then returns
-- the error, nothing is applied, and running it again retries).
SET LOCAL lock_timeout = '5s';
ALTER TABLE __SCHEMA__.challenges DROP CONSTRAINT challenges_id_check;
ALTER TABLE __SCHEMA__.challenges
    ADD CONSTRAINT challenges_id_check CHECK (octet_length(id) IN (16, 20));
