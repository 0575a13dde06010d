import { taskStreamName, type ClaimResult, type TaskEvent, type TaskHeartbeatResult, type TaskView } from '@autocoder/contracts';
import { isStreamNotFound, type EventStore } from '@autocoder/eventstore';
import { taskDecider, type TaskState } from './task';
import { taskViewOfState } from './task-view';

export type ExistingTask = Extract<TaskState, { exists: true }>;

/** A task as it was right after one command's events, and the revision of the last of them. */
export interface TaskAfterCommand {
  state: ExistingTask;
  revision: number;
}

/**
 * The task as the command `commandId` left it, read from the task's stream: its events carry the
 * command id in their metadata. Null when the command wrote nothing there. This is how a command's
 * answer is read back from its events (a retry after a lost answer, a run that took a command over)
 * exactly as the run that wrote them computed it.
 */
export async function taskAfterCommand(store: EventStore, taskId: string, commandId: string): Promise<TaskAfterCommand | null> {
  let events;
  try {
    events = await store.readStream(taskStreamName(taskId));
  } catch (error) {
    if (isStreamNotFound(error)) return null;
    throw error;
  }
  let last = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i].metadata.commandId === commandId) {
      last = i;
      break;
    }
  }
  if (last < 0) return null;
  let state = taskDecider.initialState;
  for (const event of events.slice(0, last + 1)) state = taskDecider.evolve(state, { type: event.type, data: event.data } as TaskEvent);
  return state.exists ? { state, revision: events[last].revision } : null;
}

/** What a task command answers, made from the task as the command left it. */
export type AnswerOf<T> = (after: TaskAfterCommand) => T;

export const viewOf: AnswerOf<TaskView> = ({ state, revision }) => taskViewOfState(state, revision);

export const claimOf: AnswerOf<ClaimResult> = (after) => {
  const task = viewOf(after);
  return { task, leaseExpiresAt: task.leaseExpiresAt!, fencingToken: task.fencingToken! };
};

export const leaseOf: AnswerOf<TaskHeartbeatResult> = (after) => {
  const { taskId, leaseExpiresAt, fencingToken } = viewOf(after);
  return { taskId, leaseExpiresAt: leaseExpiresAt!, fencingToken: fencingToken! };
};
