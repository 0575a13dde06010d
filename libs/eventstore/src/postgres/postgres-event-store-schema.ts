/** DDL of the Postgres event store. Idempotent: every start runs it under an advisory lock. */

export const assertSchemaName = (schema: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid schema name "${schema}": expected lower-case letters, digits and "_", starting with a letter or "_"`);
  }
  return schema;
};

/** The channel appends notify on, so subscribers in other processes wake without polling. */
export const appendChannel = (schema: string) => `${schema}_appended`;

export const eventStoreDdl = (schema: string): string => {
  const s = assertSchemaName(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.events (
  position    bigserial PRIMARY KEY,
  event_id    uuid        NOT NULL,
  stream_id   text        NOT NULL,
  revision    bigint      NOT NULL,
  type        text        NOT NULL,
  data        jsonb       NOT NULL,
  metadata    jsonb       NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT events_event_id_key UNIQUE (event_id),
  CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision)
);

-- Added to stores created before them. Looked up first: ALTER TABLE and CREATE INDEX lock the table
-- even when there is nothing to do, and every start of every instance runs this.
DO $ddl$ BEGIN
  -- Which append wrote the event (its first revision and its number of events), so that only the
  -- very batch is a duplicate, never a part of it. Null on events stored before these columns.
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '${s}.events'::regclass AND attname = 'batch_size' AND NOT attisdropped) THEN
    ALTER TABLE ${s}.events ADD COLUMN batch_first_revision bigint, ADD COLUMN batch_size int;
  END IF;
  -- Reads filtered by event type (projectors read only the types they handle) walk this index.
  IF to_regclass('${s}.events_type_position') IS NULL THEN
    CREATE INDEX events_type_position ON ${s}.events (type, position);
  END IF;
END $ddl$;

CREATE OR REPLACE FUNCTION ${s}.append_events(p_stream text, p_expected text, p_events jsonb)
RETURNS TABLE (outcome text, current_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count int := jsonb_array_length(p_events);
  v_current bigint;
  v_existing int := 0;
  v_exact boolean := true;
  v_first_rev bigint;
  v_rev bigint;
  v_pos bigint;
  v_x jsonb;
  v_n int;
  v_found record;
BEGIN
  -- One appender at a time, held until commit: positions are handed out in commit order, so a
  -- reader that has seen position N never later finds a smaller one (no skipped late commits).
  -- Commits become visible before transaction locks are released, which is what makes this hold.
  PERFORM pg_advisory_xact_lock(hashtext('${s}.append_events'));

  -- One unique-index probe per id. (A set-based IN (...) gets a cached generic plan that, made
  -- while the table was small, keeps scanning it whole under this lock once it has grown.)
  -- A batch whose ids are all stored is a duplicate only when it is the very batch one append stored
  -- (not a part of it): in this stream, at consecutive revisions in this order, with the same type,
  -- data (jsonb equality) and metadata.commandId (absent = null). Any other overlap is a conflict.
  -- (The client refuses an id twice in one batch before calling.)
  -- An integer loop over the array: no query (and portal) per call just to walk the batch.
  FOR v_n IN 1 .. v_count LOOP
    v_x := p_events -> (v_n - 1);
    SELECT e.stream_id, e.revision, e.position, e.type, e.data, e.metadata->'commandId' AS command_id, e.batch_first_revision, e.batch_size
      INTO v_found FROM ${s}.events e WHERE e.event_id = (v_x->>'id')::uuid;
    IF FOUND THEN
      v_existing := v_existing + 1;
      IF v_n = 1 THEN v_first_rev := v_found.revision; END IF;
      v_exact := v_exact
        -- the whole append it was part of, from its first event (unknown for events stored before)
        AND (v_found.batch_size IS NULL OR (v_found.batch_first_revision = v_first_rev AND v_found.batch_size = v_count))
        AND v_found.stream_id = p_stream
        AND v_found.revision = v_first_rev + v_n - 1
        AND v_found.type = v_x->>'type'
        AND v_found.data = v_x->'data'
        AND coalesce(v_found.command_id, 'null'::jsonb) = coalesce(v_x->'metadata'->'commandId', 'null'::jsonb);
      v_rev := v_found.revision;
      v_pos := v_found.position;
    ELSE
      v_exact := false;
    END IF;
  END LOOP;
  IF v_existing > 0 THEN
    IF v_exact THEN
      RETURN QUERY SELECT 'duplicate'::text, v_rev, v_pos;
    ELSE
      RETURN QUERY SELECT 'event_id_conflict'::text, NULL::bigint, NULL::bigint;
    END IF;
    RETURN;
  END IF;

  SELECT max(e.revision) INTO v_current FROM ${s}.events e WHERE e.stream_id = p_stream;
  IF p_expected = 'no_stream' THEN
    IF v_current IS NOT NULL THEN RETURN QUERY SELECT 'wrong_expected_revision'::text, v_current, NULL::bigint; RETURN; END IF;
  ELSIF p_expected = 'stream_exists' THEN
    IF v_current IS NULL THEN RETURN QUERY SELECT 'wrong_expected_revision'::text, v_current, NULL::bigint; RETURN; END IF;
  ELSIF p_expected <> 'any' THEN
    IF v_current IS DISTINCT FROM p_expected::bigint THEN
      RETURN QUERY SELECT 'wrong_expected_revision'::text, v_current, NULL::bigint; RETURN;
    END IF;
  END IF;

  IF v_count = 0 THEN
    RETURN QUERY SELECT 'ok'::text, v_current, NULL::bigint;
    RETURN;
  END IF;

  WITH inserted AS (
    INSERT INTO ${s}.events (event_id, stream_id, revision, type, data, metadata, batch_first_revision, batch_size)
    SELECT (t.x->>'id')::uuid, p_stream, coalesce(v_current, -1) + t.n, t.x->>'type', t.x->'data', t.x->'metadata',
           coalesce(v_current, -1) + 1, v_count
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(x, n)
     ORDER BY t.n
    RETURNING revision, position
  )
  SELECT max(i.revision), max(i.position) INTO v_rev, v_pos FROM inserted i;

  PERFORM pg_notify('${appendChannel(s)}', v_pos::text);
  RETURN QUERY SELECT 'ok'::text, v_rev, v_pos;
END
$fn$;

-- Several appends (to any streams) in one transaction, in order, each exactly as append_events
-- decides it alone: one outcome per append, and an append that fails leaves the others be. One
-- transaction means one turn at the appenders' lock and one WAL flush for all of them.
CREATE OR REPLACE FUNCTION ${s}.append_events_batch(p_appends jsonb)
RETURNS TABLE (item int, outcome text, current_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_n int;
  v_a jsonb;
BEGIN
  FOR v_n IN 1 .. jsonb_array_length(p_appends) LOOP
    v_a := p_appends -> (v_n - 1);
    RETURN QUERY SELECT v_n, a.outcome, a.current_revision, a.last_position
      FROM ${s}.append_events(v_a->>'stream', v_a->>'expected', v_a->'events') a;
  END LOOP;
END
$fn$;
`;
};
