export * from './start-autocoder';
export * from './services';
