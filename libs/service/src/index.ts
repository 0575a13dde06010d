export * from './service-definition';
export * from './service-data-source';
export * from './periodic-jobs';
export * from './event-processors';
export * from './processors-controller';
export * from './serve-service';
export * from './run-service-process';
