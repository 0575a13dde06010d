import { nameBasedUuid, taskIdOfCreateCommand } from '@autocoder/contracts';

/** The command that creates a feature's coordinator task: one per feature, so the task is made once. */
export const featureTaskCommandId = (featureId: string): string => nameBasedUuid(`runner/feature-task/${featureId}`);

/** The coordinator task a runner claims to work on this feature. */
export const featureTaskId = (featureId: string): string => taskIdOfCreateCommand(featureTaskCommandId(featureId));
