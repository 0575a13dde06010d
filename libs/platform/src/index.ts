export * from './config';
export * from './logger';
export * from './embedded-postgres';
export * from './admin-token';
export * from './database';
export * from './shutdown';
