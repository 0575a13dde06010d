import { actorLabel, nameBasedUuid, type CommandEnvelope } from '@autocoder/contracts';
import type { Decider } from './decider';
import { isEventIdConflict, isStreamNotFound, isWrongExpectedRevision } from './errors';
import type { EventMetadata, EventStore, ExpectedRevision, NewEvent, RecordedEvent } from './event-store';

export interface CommandContext {
  commandId: string;
  correlationId: string;
  causationId?: string | null;
  actor: string;
  /** Decision time (ISO 8601); also the events' metadata time. */
  time: string;
}

/** The context of a command as it arrived: its id, correlation and actor, decided now. */
export const contextOf = (envelope: CommandEnvelope, commandId = envelope.commandId): CommandContext => ({
  commandId,
  correlationId: envelope.correlationId,
  actor: actorLabel(envelope.actor),
  time: new Date().toISOString(),
});

export interface Loaded<State> {
  state: State;
  /** Revision of the last event folded in; null when the stream does not exist. */
  revision: number | null;
}

export interface Handled<State, Event> extends Loaded<State> {
  /** The events this command appended (empty when the decision was to do nothing). */
  events: Event[];
  /** True when the stream already held this command's events: it was not applied again. */
  alreadyApplied: boolean;
  position: number | null;
}

interface Cached<State> extends Loaded<State> {
  recentCommandIds: string[];
}

const RECENT_COMMANDS = 64;

/**
 * The same command on the same stream always yields the same event ids, so re-running a command after
 * a crash cannot duplicate. The stream is part of the name: one command may append to several streams.
 */
export const deterministicEventId = (commandId: string, stream: string, index: number): string =>
  nameBasedUuid(`${commandId}/${stream}/${index}`);

/**
 * Loads an aggregate by folding its stream, decides, and appends with the expected revision.
 * A conflict means someone else appended first: reload and decide again. Folded states are cached
 * per stream and caught up by reading only the newer events.
 */
export class AggregateStore<Command, Event extends { type: string; data: unknown }, State> {
  private readonly cache = new Map<string, Cached<State>>();

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<Command, Event, State>,
    private readonly cacheSize = 10_000,
  ) {}

  async load(stream: string): Promise<Loaded<State>> {
    const cached = await this.catchUp(stream);
    return { state: cached.state, revision: cached.revision };
  }

  async handle(stream: string, command: Command, context: CommandContext, maxAttempts = 30): Promise<Handled<State, Event>> {
    for (let attempt = 1; ; attempt++) {
      // A cached state is trusted for a decision that writes: the append's expected revision proves it
      // fresh (or conflicts). Anything else — a refusal, nothing to do, a command seen before — is
      // only an answer once decided on the stream as it is now.
      const cached = attempt === 1 ? this.cache.get(stream) : undefined;
      const optimistic = cached && !cached.recentCommandIds.includes(context.commandId) ? this.tryDecide(command, cached.state) : null;
      const current = optimistic ? cached! : await this.catchUp(stream);
      if (current.recentCommandIds.includes(context.commandId)) {
        return { state: current.state, revision: current.revision, events: [], alreadyApplied: true, position: null };
      }
      const decided = optimistic ?? this.decider.decide(command, current.state);
      if (decided.length === 0) {
        return { state: current.state, revision: current.revision, events: [], alreadyApplied: false, position: null };
      }
      const metadata: EventMetadata = {
        correlationId: context.correlationId,
        causationId: context.causationId ?? context.commandId,
        commandId: context.commandId,
        actor: context.actor,
        time: context.time,
      };
      const newEvents: NewEvent[] = decided.map((e, i) => ({
        id: deterministicEventId(context.commandId, stream, i),
        type: e.type,
        data: e.data,
        metadata,
      }));
      const expected: ExpectedRevision = current.revision === null ? 'no_stream' : current.revision;
      try {
        const result = await this.store.append(stream, newEvents, expected);
        if (result.duplicate) return this.storedBySomeoneElse(stream);
        const state = decided.reduce((s, e) => this.decider.evolve(s, e), current.state);
        this.remember(stream, {
          state,
          revision: result.nextExpectedRevision,
          recentCommandIds: [...current.recentCommandIds, context.commandId].slice(-RECENT_COMMANDS),
        });
        return { state, revision: result.nextExpectedRevision, events: decided, alreadyApplied: false, position: result.position };
      } catch (error) {
        if (isEventIdConflict(error)) {
          // The ids follow from this command: another process appended its events, decided at
          // another time (so with other data), first. The stream says whether it did.
          this.cache.delete(stream);
          const stored = await this.catchUp(stream);
          if (!stored.recentCommandIds.includes(context.commandId)) throw error;
          return { state: stored.state, revision: stored.revision, events: [], alreadyApplied: true, position: null };
        }
        if (isWrongExpectedRevision(error) && attempt < maxAttempts) {
          // Writers that collided would collide again in lock-step: spread them out a little.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 50)));
          continue;
        }
        throw error;
      }
    }
  }

  /** The events of a decision on a cached state, or null when it decides nothing or refuses. */
  private tryDecide(command: Command, state: State): Event[] | null {
    try {
      const events = this.decider.decide(command, state);
      return events.length ? events : null;
    } catch {
      return null;
    }
  }

  /** Another process appended this command's events first: report what is stored. */
  private async storedBySomeoneElse(stream: string): Promise<Handled<State, Event>> {
    this.cache.delete(stream);
    const stored = await this.catchUp(stream);
    return { state: stored.state, revision: stored.revision, events: [], alreadyApplied: true, position: null };
  }

  private async catchUp(stream: string): Promise<Cached<State>> {
    const cached = this.cache.get(stream) ?? { state: this.decider.initialState, revision: null, recentCommandIds: [] };
    let events: RecordedEvent[];
    try {
      events = await this.store.readStream(stream, { fromRevision: cached.revision === null ? 0 : cached.revision + 1 });
    } catch (error) {
      if (isStreamNotFound(error)) return cached;
      throw error;
    }
    if (events.length === 0) return cached;
    const next: Cached<State> = {
      state: events.reduce((s, e) => this.decider.evolve(s, { type: e.type, data: e.data } as Event), cached.state),
      revision: events[events.length - 1].revision,
      recentCommandIds: [...cached.recentCommandIds, ...events.map((e) => e.metadata.commandId).filter((id): id is string => !!id)].slice(
        -RECENT_COMMANDS,
      ),
    };
    this.remember(stream, next);
    return next;
  }

  private remember(stream: string, value: Cached<State>) {
    this.cache.delete(stream);
    this.cache.set(stream, value);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }
}

