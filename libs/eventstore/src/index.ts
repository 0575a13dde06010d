export * from './event-store';
export * from './errors';
export * from './polling-subscription';
export * from './postgres/postgres-event-store';
export * from './postgres/postgres-event-store-schema';
export * from './eventstoredb/eventstoredb-event-store';
export * from './decider';
export * from './aggregate-store';
