import type { ErrorBody } from './errors';

/** Who is acting: the admin (a human holding the admin token) or one agent. */
export type Actor = { kind: 'admin' } | { kind: 'agent'; agentId: string; employeeId: string } | { kind: 'system'; name: string };

/** Every command carries an id: a retried command with the same id gets the first answer. */
export interface CommandEnvelope<P = unknown> {
  commandId: string;
  correlationId: string;
  actor: Actor;
  payload: P;
}

export interface QueryEnvelope<P = unknown> {
  correlationId: string;
  actor: Actor;
  payload: P;
  /**
   * The tag of the JSON text answer the caller holds for this query already (the bus sets it; see
   * JsonText in @autocoder/messaging): if the answer is still that text, the reply says so instead of
   * carrying it again.
   */
  hasAnswer?: string;
}

/** Replies never throw across the wire: they are values. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export const actorLabel = (actor: Actor): string =>
  actor.kind === 'admin' ? 'admin' : actor.kind === 'agent' ? `agent:${actor.agentId}` : `system:${actor.name}`;
