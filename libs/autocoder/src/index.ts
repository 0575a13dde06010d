export * from './start-autocoder';
