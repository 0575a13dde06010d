import type { NewEvent } from './event-store';
import { InvalidAppendError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a batch before any adapter touches its database, so a bad batch stores nothing and uses up
 * no position: every id a UUID, no id twice (a store would otherwise fail half-way on its unique index).
 */
export function validateAppend(stream: string, events: readonly NewEvent[]): void {
  const details: { path: string; message: string }[] = [];
  const firstIndexOf = new Map<string, number>();
  events.forEach((event, i) => {
    if (typeof event.id !== 'string' || !UUID.test(event.id)) {
      details.push({ path: `events[${i}].id`, message: `must be a UUID, got ${JSON.stringify(event.id)}` });
      return;
    }
    const id = event.id.toLowerCase();
    const first = firstIndexOf.get(id);
    if (first === undefined) firstIndexOf.set(id, i);
    else details.push({ path: `events[${i}].id`, message: `repeats the id of events[${first}] (${id}); each event of an append needs its own id` });
    if (typeof event.type !== 'string' || event.type.length === 0) details.push({ path: `events[${i}].type`, message: 'must be a non-empty string' });
  });
  if (details.length) throw new InvalidAppendError(stream, details);
}
