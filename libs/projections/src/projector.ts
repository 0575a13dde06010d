import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import type { EventFilter, EventStore, EventSubscription, RecordedEvent } from '@autocoder/eventstore';
import type { Logger } from '@autocoder/platform';
import type { DataSource } from 'typeorm';
import type { DomainEvent, Projection, Recorded } from './projection';

export interface ProjectorRetry {
  /** Times an event whose handler throws is tried before its projector stops. */
  attempts: number;
  /** Wait before the second attempt; doubled for each further one, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export interface ProjectorOptions<Change> {
  store: EventStore;
  dataSource: DataSource;
  /** Any projection: the projector only hands it the events of its own types. */
  projection: Projection<any, Change>;
  /** Schema holding the service's `projection_checkpoints` table. */
  schema: string;
  logger: Logger;
  /** Called after each committed batch with what the projection reported as changed. */
  onCommitted?: (changes: Change[], lastPosition: number) => void;
  batchSize?: number;
  retry?: Partial<ProjectorRetry>;
}

/** The event a projection keeps failing on (the same shape a reactor reports). */
export interface ProjectorFailure {
  position: number;
  stream: string;
  type: string;
  attempts: number;
  error: string;
}

export interface ProjectorStatus {
  name: string;
  /**
   * `retrying`: an event keeps failing and is tried again; `stopped`: not started, stopped, or given
   * up on a poison event (then `failing` says which).
   */
  state: 'running' | 'retrying' | 'stopped';
  /** Position of the last event applied (or seen applied by another instance). */
  position: number | null;
  failing: ProjectorFailure | null;
}

export interface RebuildReport {
  name: string;
  /** Events of the projection's types handed to it during the replay. */
  eventsReplayed: number;
  rows: number;
}

const DEFAULT_RETRY: ProjectorRetry = { attempts: 5, firstDelayMs: 200, maxDelayMs: 5000 };

/** Another instance rebuilt the projection since this one last read: start over from there. */
class CheckpointMovedBack extends Error {}

/** The projection's own code failed on this event (not the store, not the checkpoint). */
class HandlerFailed extends Error {
  constructor(
    readonly event: RecordedEvent,
    readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export class ProjectorStoppedError extends AutocoderError {
  constructor(readonly failure: ProjectorFailure & { projection: string }) {
    super(
      ErrorCodes.Internal,
      `projection ${failure.projection} stopped at position ${failure.position} (${failure.type} in ${failure.stream}) ` +
        `after ${failure.attempts} attempts: ${failure.error}`,
    );
  }
}

/**
 * Follows the event store from the projection's checkpoint and writes its read model, reading only
 * the event types the projection handles. The event read and the write transaction never overlap,
 * which the embedded PGlite (one query at a time across connections) requires.
 *
 * An event the projection cannot apply is tried a few times with growing pauses; if it keeps failing
 * (and the database answers, so it is the event and not an outage) this projector stops at it,
 * logs it and shows it in `status`; nothing else waits for it.
 */
export class Projector<Change = unknown> {
  private subscription?: EventSubscription;
  private position: number | null = null;
  private positionWaiters: { position: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  private restartTimer?: NodeJS.Timeout;
  private running = false;
  private failure?: ProjectorFailure;
  /** Gave up on the event in `failure`: stays stopped until started or rebuilt again. */
  private halted = false;
  private readonly retry: ProjectorRetry;

  constructor(private readonly options: ProjectorOptions<Change>) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  get name() {
    return this.options.projection.name;
  }

  get tables() {
    return this.options.projection.tables;
  }

  get checkpoint() {
    return this.position;
  }

  /** What the store is asked for: the projection's own types. */
  get filter(): EventFilter {
    return { types: this.options.projection.eventTypes };
  }

  get status(): ProjectorStatus {
    const state = !this.running || this.halted ? 'stopped' : this.failure ? 'retrying' : 'running';
    return { name: this.name, state, position: this.position, failing: this.failure ? { ...this.failure } : null };
  }

  async start() {
    this.running = true;
    this.halted = false;
    this.failure = undefined;
    this.position = await this.readCheckpoint();
    this.follow();
  }

  async stop() {
    this.running = false;
    clearTimeout(this.restartTimer);
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  /** Resolves once everything up to `position` is in the read model; rejects at once if this projector stopped on a poison event. */
  async waitFor(position: number, timeoutMs = 30_000): Promise<void> {
    if (this.position !== null && this.position >= position) return;
    const stopped = this.stoppedError();
    if (stopped) throw stopped;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`projection ${this.name} did not reach position ${position} in ${timeoutMs} ms`)), timeoutMs);
      this.positionWaiters.push({ position, resolve: () => (clearTimeout(timer), resolve()), reject: (error) => (clearTimeout(timer), reject(error)) });
    });
  }

  /** True when the read model holds every stored event of the projection's types. */
  async isCaughtUp(): Promise<boolean> {
    const head = await this.options.store.headPosition(this.filter);
    return head === null || (this.position !== null && this.position >= head);
  }

  /**
   * Empties the read model and replays every event of its types from zero; resolves when caught up.
   * The checkpoint row is locked before anything is deleted: an instance in the middle of a batch
   * holds that lock until it commits, so its rows are committed (and deleted here) before this
   * resets the checkpoint, never left behind to be applied a second time by the replay.
   */
  async rebuild(): Promise<RebuildReport> {
    await this.stop();
    const { dataSource, projection, schema } = this.options;
    await this.readCheckpoint(); // the row exists, so there is something to lock
    await dataSource.transaction(async (tx) => {
      await tx.query(`SELECT position FROM ${schema}.projection_checkpoints WHERE name = $1 FOR UPDATE`, [projection.name]);
      for (const table of projection.tables) await tx.query(`DELETE FROM ${table}`);
      await tx.query(`UPDATE ${schema}.projection_checkpoints SET position = -1, updated_at = now() WHERE name = $1`, [projection.name]);
    });
    const head = await this.options.store.headPosition(this.filter);
    let replayed = 0;
    this.running = true;
    this.halted = false;
    this.failure = undefined;
    this.position = null;
    this.follow((count) => (replayed += count));
    if (head !== null) await this.waitFor(head, 10 * 60_000);
    let rows = 0;
    for (const table of projection.tables) rows += (await dataSource.query(`SELECT count(*)::int AS count FROM ${table}`))[0].count;
    return { name: this.name, eventsReplayed: replayed, rows };
  }

  private follow(onBatch?: (count: number) => void) {
    const subscription = this.options.store.subscribeToAll(
      { after: this.position, batchSize: this.options.batchSize ?? 500, filter: this.filter },
      async (events) => {
        await this.project(events);
        onBatch?.(events.length);
      },
    );
    this.subscription = subscription;
    subscription.done.catch((error) => this.failed(error, subscription, onBatch));
  }

  private async failed(error: unknown, subscription: EventSubscription, onBatch?: (count: number) => void) {
    if (!this.running || this.subscription !== subscription) return;
    if (error instanceof CheckpointMovedBack) return this.restart(0, onBatch);
    if (!(error instanceof HandlerFailed) || !(await this.databaseAnswers())) {
      // The store or the database is away: not the event's fault, keep trying.
      this.options.logger.warn({ err: error, projection: this.name, position: this.position }, 'projection interrupted; resuming from its checkpoint');
      return this.restart(this.retry.maxDelayMs, onBatch);
    }
    const { event } = error;
    const attempts = this.failure?.position === event.position ? this.failure.attempts + 1 : 1;
    this.failure = { position: event.position, stream: event.stream, type: event.type, attempts, error: error.message };
    if (attempts < this.retry.attempts) {
      this.options.logger.warn({ err: error.cause, projection: this.name, eventId: event.id, ...this.failure }, 'projection failed on an event; trying it again');
      return this.restart(Math.min(this.retry.firstDelayMs * 2 ** (attempts - 1), this.retry.maxDelayMs), onBatch);
    }
    this.halted = true;
    this.options.logger.error(
      { err: error.cause, projection: this.name, eventId: event.id, ...this.failure },
      `projection ${this.name} stopped: the event at position ${event.position} (${event.type} in ${event.stream}) fails every time`,
    );
    const stopped = this.stoppedError()!;
    for (const waiter of this.positionWaiters) waiter.reject(stopped);
    this.positionWaiters = [];
  }

  /** Follows again from the checkpoint (which another instance may have moved) after `ms`. */
  private restart(ms: number, onBatch?: (count: number) => void) {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.running) return;
      this.readCheckpoint().then(
        (position) => {
          if (!this.running) return;
          this.position = position;
          this.follow(onBatch);
        },
        (error) => {
          this.options.logger.warn({ err: error, projection: this.name }, 'projection could not read its checkpoint; will try again');
          this.restart(this.retry.maxDelayMs, onBatch);
        },
      );
    }, ms);
  }

  private stoppedError(): ProjectorStoppedError | null {
    return this.halted && this.failure ? new ProjectorStoppedError({ ...this.failure, projection: this.name }) : null;
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await this.options.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  private async project(events: RecordedEvent[]) {
    try {
      await this.projectInOne(events);
    } catch (error) {
      if (!(error instanceof HandlerFailed) || events.length === 1) throw error;
      // Find the event that fails: the ones before it are applied, each in its own transaction.
      for (const event of events) await this.projectInOne([event]);
    }
  }

  private async projectInOne(events: RecordedEvent[]) {
    const { dataSource, projection, schema } = this.options;
    const last = events[events.length - 1].position;
    const changes = await dataSource.transaction(async (tx) => {
      // Several instances of a service may project at once: the row lock serialises them and
      // the filter keeps any of them from applying an event twice or moving the checkpoint back.
      const [row] = await tx.query(`SELECT position FROM ${schema}.projection_checkpoints WHERE name = $1 FOR UPDATE`, [projection.name]);
      const done = Number(row.position);
      if (done < (this.position ?? -1)) throw new CheckpointMovedBack();
      const fresh = events.filter((e) => e.position > done);
      if (fresh.length === 0) return [];
      let result: Change[];
      try {
        result = await projection.apply(fresh as Recorded<DomainEvent>[], tx);
      } catch (error) {
        throw new HandlerFailed(fresh[0], error);
      }
      await tx.query(`UPDATE ${schema}.projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1`, [projection.name, last]);
      return result;
    });
    this.position = last;
    if (this.failure && last >= this.failure.position) this.failure = undefined;
    this.options.onCommitted?.(changes, last);
    this.positionWaiters = this.positionWaiters.filter((w) => (w.position <= last ? (w.resolve(), false) : true));
  }

  /** -1 in the table means nothing projected yet. */
  private async readCheckpoint(): Promise<number | null> {
    const { dataSource, schema, projection } = this.options;
    await dataSource.query(
      `INSERT INTO ${schema}.projection_checkpoints (name, position, updated_at) VALUES ($1, -1, now()) ON CONFLICT (name) DO NOTHING`,
      [projection.name],
    );
    const rows: { position: string }[] = await dataSource.query(`SELECT position FROM ${schema}.projection_checkpoints WHERE name = $1`, [
      projection.name,
    ]);
    const position = Number(rows[0].position);
    return position < 0 ? null : position;
  }
}
