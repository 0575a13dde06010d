// The runner: projects, features, runs and coding sessions that drive Claude in safe workspaces.
export * from './read-models';
export * from './migrations';
