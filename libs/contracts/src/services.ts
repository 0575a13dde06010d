/**
 * The services (bounded contexts) that own events, and what every one of them answers besides its own
 * subjects. A new context adds its name here; its queue group, schema and operational subjects follow.
 */
export const ServiceNames = ['coordinator', 'runner', 'usage'] as const;
export type ServiceName = (typeof ServiceNames)[number];

/** Subjects every service serves, under its own name, so the gateway can ask each one in turn. */
export const serviceSubjects = (service: string) =>
  ({
    rebuildProjections: `${service}.cmd.projections.rebuild`,
    processorStatus: `${service}.qry.processors.status`,
  }) as const;

/** Instances of one service share the requests addressed to it: the queue group is the service's name. */
export const queueGroupOf = (service: string): string => service;

/** The service's Postgres schema (its read models, checkpoints and command log), under the installation's prefix. */
export const serviceSchemaOf = (service: string, schemaPrefix: string): string => `${schemaPrefix}${service}`;

export interface RebuildProjectionsResult {
  projections: { name: string; eventsReplayed: number; rows: number }[];
}

/** What a projector or reactor is doing; a stopped or retrying one names the event it is stuck on. */
export interface ProcessorStatus {
  service: ServiceName;
  name: string;
  kind: 'projection' | 'reactor';
  state: 'running' | 'standby' | 'retrying' | 'stopped';
  position: number | null;
  failing: { position: number; stream: string; type: string; attempts: number; error: string } | null;
}
