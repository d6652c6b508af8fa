-- smsotp PostgresStore, migration 1: tables, indexes and one function per operation
-- that needs more than one statement's worth of logic.
--
-- __SCHEMA__ is replaced by the configured schema, already quoted, before this runs.
-- Every time is unix milliseconds (bigint), passed in by the app: expiry decisions use
-- the app's clock, as every smsotp store does, never the database's now().
-- Nothing here holds a code or a phone number: codes are keyed HMAC-SHA256 digests,
-- bindings keyed tags, counter and subject names keyed indexes made by the verifier.

CREATE TABLE __SCHEMA__.challenges (
    id                bytea    PRIMARY KEY,
    binding           bytea    NOT NULL,
    -- Digests of every code sent for the challenge, first one first.
    digests           bytea[]  NOT NULL,
    expires_at        bigint   NOT NULL,
    resend_at         bigint   NOT NULL,
    -- After this the row answers as absent and purge_expired may delete it.
    purge_at          bigint   NOT NULL,
    attempts          bigint   NOT NULL DEFAULT 0,
    max_attempts      bigint   NOT NULL,
    sends             bigint   NOT NULL DEFAULT 1,
    max_sends         bigint   NOT NULL,
    decoy             boolean  NOT NULL DEFAULT false,
    -- The last delivery report: 0 pending, 1 delivered, 2 failed, 3 failed for good.
    delivery          smallint,
    delivery_provider text,
    CHECK (octet_length(id) = 16),
    CHECK (cardinality(digests) >= 1)
);
-- purge_expired walks this index, so a purge batch costs O(batch + log n).
CREATE INDEX challenges_purge_at ON __SCHEMA__.challenges (purge_at);

-- Fixed-window rate and spend counters, one row per counter.
CREATE TABLE __SCHEMA__.counters (
    name       text   PRIMARY KEY,
    used       bigint NOT NULL,
    window_end bigint NOT NULL
);
CREATE INDEX counters_window_end ON __SCHEMA__.counters (window_end);

-- Consecutive failed checks per subject (the NIST ceiling).
CREATE TABLE __SCHEMA__.subjects (
    name      text   PRIMARY KEY,
    failures  bigint NOT NULL,
    forget_at bigint NOT NULL
);
CREATE INDEX subjects_forget_at ON __SCHEMA__.subjects (forget_at);

-- Provider message -> challenge, for delivery reports; lives as long as the challenge.
CREATE TABLE __SCHEMA__.links (
    message   text   PRIMARY KEY,
    challenge bytea  NOT NULL,
    purge_at  bigint NOT NULL
);
CREATE INDEX links_purge_at ON __SCHEMA__.links (purge_at);

-- Checks candidate digests against a challenge in one atomic step, applying the
-- subject's failure ceiling in the same step when p_subject is not null.
-- outcome: 0 not found (or another binding: nothing changes) | 1 expired | 2 locked
--          | 3 approved (deleted) | 4 rejected, with attempts_left | 5 subject locked
CREATE FUNCTION __SCHEMA__.check_code(
    p_id bytea, p_binding bytea, p_candidates bytea[], p_now bigint,
    p_subject text, p_max_failures bigint, p_forget_at bigint,
    OUT outcome integer, OUT attempts_left bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c __SCHEMA__.challenges%ROWTYPE;
    s __SCHEMA__.subjects%ROWTYPE;
    so_far bigint := 0;
    matched boolean;
BEGIN
    attempts_left := 0;
    -- Lock order everywhere: the challenge, then its subject. Concurrent checks of one
    -- challenge queue here, so each sees the attempts the one before it counted.
    SELECT * INTO c FROM __SCHEMA__.challenges WHERE id = p_id FOR UPDATE;
    -- Another binding (number, purpose or subject) is a stranger: it learns nothing and
    -- spends nothing of the owner's.
    IF NOT FOUND OR c.purge_at <= p_now OR c.binding <> p_binding THEN
        outcome := 0; RETURN;
    END IF;
    IF p_now >= c.expires_at THEN outcome := 1; RETURN; END IF;
    IF c.attempts >= c.max_attempts THEN outcome := 2; RETURN; END IF;
    IF p_subject IS NOT NULL THEN
        -- A row lock needs a row: a subject with none gets a placeholder that reads as
        -- "no failures" (forget_at 0 is long past), so the ceiling holds exactly under
        -- concurrency. The loop covers a row deleted between the insert and the lock.
        LOOP
            SELECT * INTO s FROM __SCHEMA__.subjects WHERE name = p_subject FOR UPDATE;
            EXIT WHEN FOUND;
            INSERT INTO __SCHEMA__.subjects (name, failures, forget_at)
                VALUES (p_subject, 0, 0) ON CONFLICT (name) DO NOTHING;
        END LOOP;
        IF s.forget_at > p_now THEN so_far := s.failures; END IF;
        -- Refused without counting or comparing.
        IF so_far >= p_max_failures THEN outcome := 5; RETURN; END IF;
    END IF;
    -- Count the attempt before comparing: whatever happens next, a guess has been paid
    -- for (the same transaction, so a crash undoes both or neither).
    UPDATE __SCHEMA__.challenges SET attempts = attempts + 1 WHERE id = p_id;
    c.attempts := c.attempts + 1;
    -- Every stored digest against every candidate. The digests are keyed HMACs: the
    -- time a byte comparison takes tells nothing that helps guess a code.
    matched := EXISTS (SELECT 1 FROM unnest(c.digests) AS d WHERE d = ANY (p_candidates));
    IF p_subject IS NOT NULL THEN
        IF matched THEN
            DELETE FROM __SCHEMA__.subjects WHERE name = p_subject;
        ELSE
            UPDATE __SCHEMA__.subjects SET failures = so_far + 1, forget_at = p_forget_at
                WHERE name = p_subject;
        END IF;
    END IF;
    IF matched THEN
        DELETE FROM __SCHEMA__.challenges WHERE id = p_id;
        outcome := 3; RETURN;
    END IF;
    outcome := 4;
    attempts_left := GREATEST(c.max_attempts - c.attempts, 0);
END;
$$;

-- Records a resend: adds the new digest and restarts the cooldown, in one atomic step.
-- Never touches the attempt count or the expiry.
-- outcome: 0 not found | 1 expired | 2 locked | 3 max sends | 4 cooldown (resend_at)
--          | 5 resent (expires_at, resend_at, attempts_left, sends_left, delivery,
--            delivery_provider; delivery null when none was reported)
CREATE FUNCTION __SCHEMA__.resend_code(
    p_id bytea, p_binding bytea, p_digest bytea, p_now bigint, p_next bigint,
    OUT outcome integer, OUT expires_at bigint, OUT resend_at bigint,
    OUT attempts_left bigint, OUT sends_left bigint, OUT delivery smallint,
    OUT delivery_provider text)
LANGUAGE plpgsql AS $$
DECLARE
    c __SCHEMA__.challenges%ROWTYPE;
BEGIN
    SELECT * INTO c FROM __SCHEMA__.challenges WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR c.purge_at <= p_now OR c.binding <> p_binding THEN
        outcome := 0; RETURN;
    END IF;
    IF p_now >= c.expires_at THEN outcome := 1; RETURN; END IF;
    IF c.attempts >= c.max_attempts THEN outcome := 2; RETURN; END IF;
    IF c.sends >= c.max_sends THEN outcome := 3; RETURN; END IF;
    IF p_now < c.resend_at THEN
        outcome := 4; resend_at := c.resend_at; RETURN;
    END IF;
    UPDATE __SCHEMA__.challenges
        SET digests = c.digests || p_digest, sends = c.sends + 1, resend_at = p_next,
            -- The new message starts with no report; the old one's is returned below.
            delivery = NULL, delivery_provider = NULL
        WHERE id = p_id;
    outcome := 5;
    expires_at := c.expires_at;
    resend_at := p_next;
    attempts_left := GREATEST(c.max_attempts - c.attempts, 0);
    sends_left := GREATEST(c.max_sends - c.sends - 1, 0);
    delivery := c.delivery;
    delivery_provider := c.delivery_provider;
END;
$$;

-- Reserves one use against several fixed-window limits, all or nothing: every limit is
-- checked first, and only if all have room are all charged. p_ends[i] is the end of a
-- window opened now. Reply: {1} allowed | {0, index (0-based) of the first full limit,
-- its window end}.
CREATE FUNCTION __SCHEMA__.reserve(
    p_names text[], p_limits bigint[], p_costs bigint[], p_ends bigint[], p_now bigint)
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    n integer := cardinality(p_names);
    wanted integer := (SELECT count(DISTINCT k) FROM unnest(p_names) AS k);
    locked integer;
    used bigint;
    window_end bigint;
BEGIN
    -- Lock every counter, in name order so two reservations never deadlock; a counter
    -- not yet seen gets a placeholder row whose window (ending at 0) is long over. A
    -- purge may delete an expired row between the insert and the lock: then lock again
    -- until every counter is held, so no use is ever left uncounted.
    LOOP
        INSERT INTO __SCHEMA__.counters (name, used, window_end)
            SELECT DISTINCT k, 0, 0 FROM unnest(p_names) AS k ORDER BY 1
            ON CONFLICT (name) DO NOTHING;
        SELECT count(*) INTO locked FROM (
            SELECT 1 FROM __SCHEMA__.counters WHERE name = ANY (p_names)
            ORDER BY name FOR UPDATE) AS held;
        EXIT WHEN locked = wanted;
    END LOOP;
    FOR i IN 1 .. n LOOP
        SELECT c.used, c.window_end INTO used, window_end
            FROM __SCHEMA__.counters c WHERE c.name = p_names[i];
        IF NOT FOUND OR window_end <= p_now THEN
            used := 0; window_end := p_ends[i];
        END IF;
        -- numeric: a count near the bigint limit must not overflow into an error.
        IF used::numeric + p_costs[i] > p_limits[i] THEN
            RETURN ARRAY[0, i - 1, window_end]::bigint[];
        END IF;
    END LOOP;
    -- One update per listed limit, in order: a counter listed twice is reset once (its
    -- window opened by the first) and charged twice, as the in-memory store does.
    FOR i IN 1 .. n LOOP
        UPDATE __SCHEMA__.counters c SET
            used = CASE WHEN c.window_end > p_now
                        THEN LEAST(c.used::numeric + p_costs[i], 9223372036854775807)::bigint
                        ELSE p_costs[i] END,
            window_end = CASE WHEN c.window_end > p_now THEN c.window_end ELSE p_ends[i] END
            WHERE c.name = p_names[i];
    END LOOP;
    RETURN ARRAY[1]::bigint[];
END;
$$;

-- Gives back what reserve took at p_at for a use that did not happen: a counter goes
-- down by the cost (never below zero) only while its window is still the one that held
-- p_at. Updated in name order, like reserve's locks, so the two never deadlock.
CREATE FUNCTION __SCHEMA__.release(
    p_names text[], p_costs bigint[], p_windows bigint[], p_at bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM unnest(p_names, p_costs, p_windows) AS t(name, cost, win)
             ORDER BY t.name LOOP
        UPDATE __SCHEMA__.counters c SET used = GREATEST(c.used - r.cost, 0)
            WHERE c.name = r.name AND c.window_end > p_at AND c.window_end - r.win <= p_at;
    END LOOP;
END;
$$;
