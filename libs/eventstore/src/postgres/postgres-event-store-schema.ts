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

CREATE OR REPLACE FUNCTION ${s}.append_events(p_stream text, p_expected text, p_events jsonb)
RETURNS TABLE (outcome text, current_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count int := jsonb_array_length(p_events);
  v_current bigint;
  v_existing int;
  v_existing_here int;
  v_rev bigint;
  v_pos bigint;
  v_id uuid;
  v_found record;
BEGIN
  -- One appender at a time, held until commit: positions are handed out in commit order, so a
  -- reader that has seen position N never later finds a smaller one (no skipped late commits).
  -- Commits become visible before transaction locks are released, which is what makes this hold.
  PERFORM pg_advisory_xact_lock(hashtext('${s}.append_events'));

  -- One unique-index probe per id. (A set-based IN (...) gets a cached generic plan that, made
  -- while the table was small, keeps scanning it whole under this lock once it has grown.)
  v_existing := 0;
  v_existing_here := 0;
  FOR v_id IN SELECT (x->>'id')::uuid FROM jsonb_array_elements(p_events) x LOOP
    SELECT e.stream_id, e.revision, e.position INTO v_found FROM ${s}.events e WHERE e.event_id = v_id;
    IF FOUND THEN
      v_existing := v_existing + 1;
      IF v_found.stream_id = p_stream THEN
        v_existing_here := v_existing_here + 1;
        v_rev := greatest(v_rev, v_found.revision);
        v_pos := greatest(v_pos, v_found.position);
      END IF;
    END IF;
  END LOOP;
  IF v_existing > 0 THEN
    IF v_existing = v_count AND v_existing_here = v_count THEN
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
    INSERT INTO ${s}.events (event_id, stream_id, revision, type, data, metadata)
    SELECT (t.x->>'id')::uuid, p_stream, coalesce(v_current, -1) + t.n, t.x->>'type', t.x->'data', t.x->'metadata'
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(x, n)
     ORDER BY t.n
    RETURNING revision, position
  )
  SELECT max(i.revision), max(i.position) INTO v_rev, v_pos FROM inserted i;

  PERFORM pg_notify('${appendChannel(s)}', v_pos::text);
  RETURN QUERY SELECT 'ok'::text, v_rev, v_pos;
END
$fn$;
`;
};
