// The runner: projects, features, runs and coding sessions that drive Claude in safe workspaces.
export * from './agent';
export * from './workspace';
export { runnerService } from './runner-service';
export { RunnerRuntime, type RunnerOptions } from './runner-runtime';
export { projectDecider, featureIdOf, type ProjectState } from './projects/project';
export { runDecider } from './runs/run';
export { sessionDecider } from './sessions/session';
export * from './read-models';
export { featureTaskId, featureTaskCommandId } from './projects/feature-tasks';
export { UsageBudgetClient, estimateInputTokens, type BudgetGate, type BudgetDecision } from './driver/usage-budget';
