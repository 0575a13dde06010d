import { randomUUID } from 'node:crypto';
import type { Actor } from '@autocoder/contracts';
import type { EventStore, EventSubscription, RecordedEvent } from '@autocoder/eventstore';
import type { Logger } from '@autocoder/platform';
import type { Pool } from 'pg';
import { reactionContext, type ReactionContext } from './reaction-context';
import { ReactorCheckpoints } from './reactor-checkpoints';

type DomainEvent = { type: string; data: unknown };

/** A reaction per event type it cares about; the keys are checked against the contract's union. */
export type Reactions<E extends DomainEvent> = {
  [K in E['type']]?: (event: RecordedEvent<K, Extract<E, { type: K }>['data']>, context: ReactionContext) => Promise<void>;
};

export interface ReactorOptions<E extends DomainEvent> {
  /** Unique within the service; part of every effect id, so never rename a running reactor. */
  name: string;
  store: EventStore;
  /** The owning service's database, which keeps `<schema>.reactor_checkpoints`. */
  pool: Pool;
  schema: string;
  logger: Logger;
  reactions: Reactions<E>;
  /** Who the reactor's commands come from; `system:<name>` by default. */
  actor?: Actor;
  /** How long a lease lasts without renewal: a standby instance takes over this long after its holder died. */
  leaseMs?: number;
  /** Backoff between attempts at a failing reaction: doubles from `min` up to `max`. */
  retry?: { minMs: number; maxMs: number };
  batchSize?: number;
}

export interface ReactorStatus {
  name: string;
  /** standby: another instance holds the lease; retrying: a reaction keeps failing and is tried again. */
  state: 'stopped' | 'standby' | 'running' | 'retrying';
  /** The last event reacted to (or passed over) by this instance. */
  position: number | null;
  failing: { position: number; stream: string; type: string; attempts: number; error: string } | null;
}

class LeaseLost extends Error {}
class Stopped extends Error {}

/** Waits `ms`, or less when `signal` aborts (a stopping reactor must not sit out a 30 s backoff). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => (clearTimeout(timer), signal.removeEventListener('abort', done), resolve());
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/**
 * Follows the event store from its own checkpoint, like a projector, but what it does is a side
 * effect (a command to another service, a git commit, a model call). A rebuild never touches it, so
 * no effect is repeated by one. Delivery is at least once: an effect may run again after a crash
 * between the effect and the checkpoint, which is why every effect carries an id derived from the
 * triggering event (`ReactionContext.effectId`) and receivers are idempotent on it. A failing reaction
 * is retried with backoff, in order: it holds up only this reactor, and its status names the event.
 */
export class Reactor<E extends DomainEvent = DomainEvent> {
  private readonly owner = randomUUID();
  private readonly leaseMs: number;
  private readonly retry: { minMs: number; maxMs: number };
  private readonly actor: Actor;
  private checkpoints?: ReactorCheckpoints;
  private subscription?: EventSubscription;
  private loop?: Promise<void>;
  private running = false;
  /** False once a renewal found the lease taken: reactions in flight give up instead of retrying. */
  private leaseHeld = false;
  private halt = new AbortController();
  private current: ReactorStatus;
  private waiters: { position: number; resolve: () => void }[] = [];

  constructor(private readonly options: ReactorOptions<E>) {
    this.leaseMs = options.leaseMs ?? 10_000;
    this.retry = options.retry ?? { minMs: 200, maxMs: 30_000 };
    this.actor = options.actor ?? { kind: 'system', name: options.name };
    this.current = { name: options.name, state: 'stopped', position: null, failing: null };
  }

  get name() {
    return this.options.name;
  }

  get status(): ReactorStatus {
    return { ...this.current, failing: this.current.failing && { ...this.current.failing } };
  }

  /** The event types it reacts to (the keys of its reactions). */
  get eventTypes(): string[] {
    return Object.keys(this.options.reactions);
  }

  async start() {
    if (this.running) return;
    this.checkpoints = await ReactorCheckpoints.open(this.options.pool, this.options.schema);
    this.running = true;
    this.halt = new AbortController();
    this.loop = this.run();
  }

  async stop() {
    this.running = false;
    this.halt.abort();
    await this.subscription?.stop();
    await this.loop;
    await this.checkpoints?.release(this.name, this.owner).catch(() => undefined);
    this.current = { ...this.current, state: 'stopped' };
  }

  /** Resolves once this instance has reacted to everything up to `position` (of the types it reads). */
  waitFor(position: number, timeoutMs = 30_000): Promise<void> {
    if (this.current.position !== null && this.current.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reactor ${this.name} did not reach position ${position} in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ position, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private async run() {
    while (this.running) {
      let claimed: { position: number | null } | null;
      try {
        claimed = await this.checkpoints!.claim(this.name, this.owner, this.leaseMs);
      } catch (error) {
        this.options.logger.warn({ err: error, reactor: this.name }, 'reactor could not read its checkpoint; trying again');
        await sleep(this.retry.maxMs / 10, this.halt.signal);
        continue;
      }
      if (!claimed) {
        this.current = { ...this.current, state: 'standby' };
        await sleep(this.leaseMs / 3, this.halt.signal);
        continue;
      }
      this.current = { ...this.current, state: 'running', position: claimed.position };
      this.leaseHeld = true;
      await this.follow(claimed.position);
      this.leaseHeld = false;
    }
  }

  /** Reacts from `after` on until stopped or the lease is lost. */
  private async follow(after: number | null) {
    const renewal = setInterval(() => {
      this.checkpoints!.renew(this.name, this.owner, this.leaseMs).then(
        (held) => {
          if (held) return;
          this.leaseHeld = false;
          void this.subscription?.stop();
        },
        () => undefined,
      );
    }, this.leaseMs / 3);
    const types = new Set(this.eventTypes);
    // The store delivers only the types reacted to; the check below guards against an adapter that does not.
    const subscription = this.options.store.subscribeToAll({ after, batchSize: this.options.batchSize ?? 200, filter: { types: [...types] } }, async (events) => {
      for (const event of events) {
        if (!types.has(event.type)) continue;
        await this.react(event);
        if (!(await this.checkpoints!.advance(this.name, this.owner, event.position, this.leaseMs))) throw new LeaseLost();
        this.reached(event.position);
      }
      // Events passed over (if any) move the checkpoint once per batch.
      const last = events[events.length - 1].position;
      if (!(await this.checkpoints!.advance(this.name, this.owner, last, this.leaseMs))) throw new LeaseLost();
      this.reached(last);
    });
    this.subscription = subscription;
    try {
      await subscription.done;
    } catch (error) {
      if (!(error instanceof LeaseLost) && !(error instanceof Stopped)) {
        this.options.logger.error({ err: error, reactor: this.name, position: this.current.position }, 'reactor stopped reading; starting again');
        await sleep(this.retry.minMs, this.halt.signal);
      }
    } finally {
      clearInterval(renewal);
    }
  }

  private async react(event: RecordedEvent) {
    const reaction = (this.options.reactions as unknown as Record<string, (e: RecordedEvent, c: ReactionContext) => Promise<void>>)[event.type];
    const context = reactionContext(this.name, this.actor, event, this.options.logger);
    for (let attempt = 1; ; attempt++) {
      try {
        await reaction(event, context);
        if (this.current.failing) this.options.logger.info({ reactor: this.name, position: event.position, attempts: attempt }, 'reaction succeeded after retries');
        this.current = { ...this.current, state: 'running', failing: null };
        return;
      } catch (error) {
        if (!this.running || !this.leaseHeld) throw new Stopped();
        const message = error instanceof Error ? error.message : String(error);
        this.current = {
          ...this.current,
          state: 'retrying',
          failing: { position: event.position, stream: event.stream, type: event.type, attempts: attempt, error: message },
        };
        // The first failure and then every tenth: a reaction failing for hours must not flood the log.
        if (attempt === 1 || attempt % 10 === 0) {
          this.options.logger.warn(
            { err: error, reactor: this.name, position: event.position, stream: event.stream, type: event.type, attempts: attempt },
            'reaction failed; it will be tried again',
          );
        }
        await sleep(Math.min(this.retry.minMs * 2 ** (attempt - 1), this.retry.maxMs), this.halt.signal);
        if (!this.running || !this.leaseHeld) throw new Stopped();
      }
    }
  }

  private reached(position: number) {
    this.current = { ...this.current, position };
    this.waiters = this.waiters.filter((w) => (w.position <= position ? (w.resolve(), false) : true));
  }
}
