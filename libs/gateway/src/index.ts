export * from './gateway.module';
export * from './create-gateway-app';
export * from './coordinator-client';
export * from './tokens';
export * from './print-schema';
