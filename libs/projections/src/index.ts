export * from './projection';
export * from './projector';
export * from './checkpoints-migration';
