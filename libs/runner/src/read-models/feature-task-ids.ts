import { nameBasedUuid, taskIdOfCreateCommand } from '@autocoder/contracts';

/**
 * The command id of the coordinator task created for a feature: follows from the feature id alone,
 * so the outbox that creates the task and every read model agree on it without a lookup.
 */
export const featureTaskCommandId = (featureId: string): string => nameBasedUuid(`runner/feature-task/${featureId}`);

/** The coordinator task a runner claims to work on a feature. */
export const featureTaskId = (featureId: string): string => taskIdOfCreateCommand(featureTaskCommandId(featureId));
