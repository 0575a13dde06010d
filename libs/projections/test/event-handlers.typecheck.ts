/**
 * Compiled by `npm run typecheck`, never run: proves a handler map must cover its event union. Each
 * `@ts-expect-error` fails the typecheck if the line under it stops being an error.
 */
import { eventTypesOf, type EventHandlers } from '../src';

type Opened = { type: 'Opened'; data: { id: string } };
type Closed = { type: 'Closed'; data: { id: string; reason: string } };
type DoorEvent = Opened | Closed;

/** Every member handled, each handler seeing its own event's data. */
export const complete: EventHandlers<DoorEvent, string[]> = {
  Opened: (e, seen) => void seen.push(e.data.id),
  Closed: (e, seen) => void seen.push(e.data.reason),
};
export const types: ('Opened' | 'Closed')[] = eventTypesOf<DoorEvent>(complete);

// @ts-expect-error -- a member of the union without a handler does not compile
export const missing: EventHandlers<DoorEvent, string[]> = { Opened: () => undefined };

// A union that gains a member: the map written for the old union no longer fits it.
type Locked = { type: 'Locked'; data: { id: string } };
// @ts-expect-error -- 'Locked' has no handler
export const grown: EventHandlers<DoorEvent | Locked, string[]> = complete;

export const wrongData: EventHandlers<DoorEvent, string[]> = {
  Opened: () => undefined,
  // @ts-expect-error -- a handler sees only its own event's data: Opened has no reason
  Closed: (e: { data: { id: string } } & { type: 'Opened' }) => void e,
};

// @ts-expect-error -- a type that is not in the union is not a handler key
export const extra: EventHandlers<Opened, string[]> = { Opened: () => undefined, Closed: () => undefined };
