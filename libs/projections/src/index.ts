export * from './projection';
export * from './fold-batch';
export * from './projector';
export * from './rebuild-all';
export * from './checkpoints-migration';
