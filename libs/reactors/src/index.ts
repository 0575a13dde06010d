export * from './reactor';
export * from './reactor-checkpoints';
export * from './reaction-context';
export * from './outbox-relay';
