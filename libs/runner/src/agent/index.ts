// The runner's model layer: models, tools, prompts, requests, the conversation record, stop reasons, the client.
export * from './models';
export * from './tool-inputs';
export * from './tool-definitions';
export * from './prompts';
export * from './model-request';
export * from './conversation';
export * from './stop-reason';
export * from './usage-of';
export * from './model-call-error';
export * from './model-client';
