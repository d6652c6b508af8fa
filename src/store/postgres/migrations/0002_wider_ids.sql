-- smsotp PostgresStore, migration 2: challenge ids are 20 bytes (128 bits from the
-- CSPRNG, then 32 a store may use to name where it keeps the record).
--
-- __SCHEMA__ is replaced by the configured schema, already quoted, before this runs.
-- 16-byte ids stay allowed: during a rolling deploy, instances not yet upgraded keep
-- starting and checking their own challenges, which expire within minutes as usual.
ALTER TABLE __SCHEMA__.challenges DROP CONSTRAINT challenges_id_check;
ALTER TABLE __SCHEMA__.challenges
    ADD CONSTRAINT challenges_id_check CHECK (octet_length(id) IN (16, 20));
