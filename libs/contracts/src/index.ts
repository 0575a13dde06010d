export * from './errors';
export * from './validation';
export * from './envelope';
export * from './subjects';
export * from './agents/agent-events';
export * from './agents/agent-messages';
export * from './ids';
