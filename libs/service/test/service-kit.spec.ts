import { randomBytes, randomUUID } from 'node:crypto';
import { serviceSubjects, type ProcessorStatus, type RebuildProjectionsResult, type ServiceName } from '@autocoder/contracts';
import { PostgresEventStore } from '@autocoder/eventstore';
import { NatsMessageBus } from '@autocoder/messaging';
import { createLogger, loadConfig } from '@autocoder/platform';
import { HandlerProjection, Projector, createCheckpointsTable, schemaOf, type EventHandlers } from '@autocoder/projections';
import { Reactor } from '@autocoder/reactors';
import { TEST_DATABASE_URL, TEST_NATS_URL, describeWith, dropSchemasWithPrefix, uniqueSchema } from '@autocoder/testing';
import type { INestMicroservice } from '@nestjs/common';
import { Pool } from 'pg';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { EventProcessors, openServiceDataSource, poolOf, serveService, type RunningService, type ServiceDefinition } from '../src';

type NoteEvent = { type: 'NoteAdded'; data: { noteId: string; text: string } };

/** A read model: one row per note. */
class NotesProjection extends HandlerProjection<NoteEvent, { tx: EntityManager; notes: string[] }, string> {
  readonly name = 'notes.notes';
  readonly tables: string[];
  protected readonly handlers: EventHandlers<NoteEvent, { tx: EntityManager; notes: string[] }> = {
    NoteAdded: async (e, batch) => {
      await batch.tx.query(`INSERT INTO ${this.schema}.notes (note_id, text) VALUES ($1, $2)`, [e.data.noteId, e.data.text]);
      batch.notes.push(e.data.noteId);
    },
  };
  constructor(private readonly schema: string) {
    super();
    this.tables = [`${schema}.notes`];
  }
  protected async begin(_events: unknown[], tx: EntityManager) {
    return { tx, notes: [] as string[] };
  }
  protected async finish(batch: { notes: string[] }) {
    return batch.notes;
  }
}

class CreateNotes1700000000000 implements MigrationInterface {
  async up(runner: QueryRunner) {
    const schema = schemaOf(runner);
    await createCheckpointsTable(runner, schema);
    await runner.query(`CREATE TABLE ${schema}.notes (note_id uuid PRIMARY KEY, text text NOT NULL)`);
  }
  async down() {}
}

/** A toy context defined with the kit: a projection and a reactor whose effect is counted. */
function notesService(effects: string[]): ServiceDefinition<RunningService & { projector: Projector<string>; reactor: Reactor<NoteEvent> }> {
  return {
    name: 'notes' as ServiceName,
    async start({ store, databaseUrl, schema, logger }) {
      const dataSource = await openServiceDataSource({ url: databaseUrl, schema, entities: [], migrations: [CreateNotes1700000000000] });
      const projector = new Projector<string>({ store, dataSource, projection: new NotesProjection(schema), schema, logger });
      const reactor = new Reactor<NoteEvent>({
        name: 'notes.announcer',
        store,
        pool: poolOf(dataSource),
        schema,
        logger,
        reactions: { NoteAdded: async (event, context) => void effects.push(`${context.effectId()}:${event.data.noteId}`) },
      });
      const processors = new EventProcessors('notes' as ServiceName, [projector as Projector<unknown>], [reactor as Reactor<never>]);
      await processors.start();
      return { processors, projector, reactor, stop: async () => (await processors.stop(), await dataSource.destroy()) };
    },
    messageModule: () => ({ module: class NotesModule {} }),
  };
}

describeWith({ postgres: true, nats: true }, 'a context defined with the service kit, served over NATS', () => {
  const prefix = uniqueSchema('kit');
  const natsPrefix = `${prefix}-${randomBytes(3).toString('hex')}.`;
  const logger = createLogger('test', 'silent');
  const effects: string[] = [];
  let pool: Pool;
  let store: PostgresEventStore;
  let bus: NatsMessageBus;
  let running: Awaited<ReturnType<ReturnType<typeof notesService>['start']>>;
  let server: INestMicroservice;
  const subjects = serviceSubjects('notes');
  const admin = { kind: 'admin' as const };
  const head = async () => (await store.readAll({ after: null, maxCount: 100_000 })).at(-1)!.position;

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    store = await PostgresEventStore.open({ pool, schema: `${prefix}_eventstore` });
    bus = await NatsMessageBus.connect(TEST_NATS_URL, 'kit-test', natsPrefix);
    const definition = notesService(effects);
    running = await definition.start({ store, bus, databaseUrl: TEST_DATABASE_URL, schema: `${prefix}_notes`, logger, config: loadConfig({}), tuning: {} });
    server = await serveService(definition, running, { kind: 'nats', url: TEST_NATS_URL, prefix: natsPrefix }, logger);
    for (let i = 0; i < 5; i++) await store.append(`note-${randomUUID()}`, [{ id: randomUUID(), type: 'NoteAdded', data: { noteId: randomUUID(), text: `note ${i}` }, metadata: { correlationId: randomUUID(), actor: 'test', time: new Date().toISOString() } }], 'no_stream');
    await running.reactor.waitFor(await head());
    await running.projector.waitFor(await head());
  });
  afterAll(async () => {
    await server?.close();
    await running?.stop();
    await bus?.close();
    await store?.close();
    await pool?.end();
    await dropSchemasWithPrefix(`${prefix}_`);
  });

  it('answers its status subject with its projector and reactor and where they are', async () => {
    const status = await bus.request<ProcessorStatus[]>(subjects.processorStatus, { correlationId: randomUUID(), actor: admin, payload: {} });
    const position = await head();
    expect(status).toEqual([
      { service: 'notes', name: 'notes.notes', kind: 'projection', state: 'running', position, failing: null },
      { service: 'notes', name: 'notes.announcer', kind: 'reactor', state: 'running', position, failing: null },
    ]);
  });

  it('rebuilds its read model to the same rows over NATS without running a reaction again', async () => {
    const rows = async () => (await pool.query(`SELECT note_id, text FROM ${prefix}_notes.notes ORDER BY note_id`)).rows;
    const before = await rows();
    const effectsBefore = [...effects];
    expect(effectsBefore).toHaveLength(5);

    const result = await bus.request<RebuildProjectionsResult>(subjects.rebuildProjections, { commandId: randomUUID(), correlationId: randomUUID(), actor: admin, payload: {} }, 60_000);
    expect(result.projections).toEqual([{ name: 'notes.notes', eventsReplayed: 5, rows: 5 }]);
    expect(await rows()).toEqual(before);
    await new Promise((r) => setTimeout(r, 300));
    expect(effects).toEqual(effectsBefore);
  });

  it('refuses a rebuild or a status request from an agent', async () => {
    const agent = { kind: 'agent' as const, agentId: randomUUID(), employeeId: randomUUID() };
    await expect(bus.request(subjects.processorStatus, { correlationId: randomUUID(), actor: agent, payload: {} })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(bus.request(subjects.rebuildProjections, { commandId: randomUUID(), correlationId: randomUUID(), actor: agent, payload: {} })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
