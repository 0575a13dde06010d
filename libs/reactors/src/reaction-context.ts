import { nameBasedUuid, type Actor, type CommandEnvelope } from '@autocoder/contracts';
import type { RecordedEvent } from '@autocoder/eventstore';
import type { Logger } from '@autocoder/platform';

/**
 * What a reaction gets besides its event. Every effect is named by an id that follows from the
 * reactor, the triggering event and a label, so the same reaction run again after a crash produces
 * the same command ids, and the receivers' command logs recognise it.
 */
export interface ReactionContext {
  readonly reactor: string;
  readonly event: RecordedEvent;
  readonly logger: Logger;
  /** The id of this reaction's effect called `label`: the same for every run of the reaction. */
  effectId(label?: string): string;
  /** A command envelope for an effect: its command id is `effectId(label)`, its correlation the event's. */
  envelope<P>(payload: P, label?: string): CommandEnvelope<P>;
}

export function reactionContext(reactor: string, actor: Actor, event: RecordedEvent, logger: Logger): ReactionContext {
  const effectId = (label = 'effect') => nameBasedUuid(`reaction/${reactor}/${event.id}/${label}`);
  return {
    reactor,
    event,
    logger,
    effectId,
    envelope: (payload, label) => ({ commandId: effectId(label), correlationId: event.metadata.correlationId, actor, payload }),
  };
}
