export * from './message-bus';
export * from './reply';
export * from './in-process-transport';
export * from './nats-message-bus';
export * from './nats-server-options';
export * from './command-log';
export * from './json-text-nats-serializer';
export * from './json-text-nats-deserializer';
