export * from './services';
export * from './decider-spec';
export * from './host-attacks';
export * from './scripted-runner';
export * from './scripted-usage';
