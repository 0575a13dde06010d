export * from './agents/agent';
export * from './agents/api-key';
export * from './agents/agents-service';
export * from './coordinator-runtime';
export * from './coordinator.controller';
export * from './coordinator.module';
export * from './tasks/task';
export * from './tasks/tasks-service';
