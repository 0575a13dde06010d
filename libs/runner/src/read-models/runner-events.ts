import type { ProjectEvent, RunEvent, SessionEvent } from '@autocoder/contracts';
import type { DomainEvent } from '@autocoder/projections';

/** Every event the runner's read models may read. */
export type RunnerEvent = ProjectEvent | RunEvent | SessionEvent;

/** The members of `E` with these type names. */
export type EventsOf<E extends DomainEvent, T extends E['type']> = Extract<E, { type: T }>;

/**
 * The event types of `E` a projection leaves alone, each with why. Together with its handler map
 * (`EventHandlers` of the types it handles) this names every member of `E` once: a type added to
 * `E` that is neither handled nor named here fails to compile, and the store still delivers the
 * projection only the types it handles.
 */
export type IgnoredEvents<E extends DomainEvent, Handled extends E['type']> = { readonly [K in Exclude<E['type'], Handled>]: string };
