export * from './services';
export * from './decider-spec';
