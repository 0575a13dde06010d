import { AutocoderError, ErrorCodes, type ThreadEvent } from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

/** Who posts: the admin (as any sender) or an agent (only as its own employee). */
export type ChatActor = { kind: 'admin' } | { kind: 'agent'; agentId: string; employeeId: string };

export type ThreadCommand = {
  type: 'PostMessage';
  data: {
    messageId: string;
    threadId: string;
    /** Null: the message names no project, which only a thread's later messages may do. */
    projectId: string | null;
    taskId: string | null;
    /**
     * The project of `taskId` as the task's own stream says; null when there is no such task.
     * Looked up by the service, so the decider stays pure.
     */
    taskProjectId: string | null;
    senderId: string;
    messageType: string;
    payload: Record<string, unknown>;
    actor: ChatActor;
    now: string;
  };
};

export type ThreadState =
  | { exists: false }
  | {
      exists: true;
      threadId: string;
      /** Fixed by the first message. */
      projectId: string;
      lastPostedAt: string;
      messageCount: number;
    };

export const initialThreadState: ThreadState = { exists: false };

const fail = (code: (typeof ErrorCodes)[keyof typeof ErrorCodes], message: string, details?: { path: string; message: string }[]): never => {
  throw new AutocoderError(code, message, details);
};

/** Posting times never go back within a thread and never repeat, so "since" never skips one. */
const nextPostedAt = (now: string, last: string | null): string =>
  last !== null && Date.parse(now) <= Date.parse(last) ? new Date(Date.parse(last) + 1).toISOString() : new Date(Date.parse(now)).toISOString();

export function decideThread(command: ThreadCommand, state: ThreadState): ThreadEvent[] {
  switch (command.type) {
    case 'PostMessage': {
      const c = command.data;
      if (c.actor.kind === 'agent' && c.senderId !== c.actor.employeeId) {
        return fail(ErrorCodes.Forbidden, `this API key belongs to employee ${c.actor.employeeId}; it may not post as sender ${c.senderId}`);
      }
      let projectId: string;
      if (state.exists) {
        if (c.projectId !== null && c.projectId !== state.projectId) {
          return fail(
            ErrorCodes.Conflict,
            `thread ${c.threadId} belongs to project ${state.projectId}; it cannot take a message for project ${c.projectId} (start a new thread for that project)`,
          );
        }
        projectId = state.projectId;
      } else {
        if (c.projectId === null) {
          const why = `is required for the first message of a thread: thread ${c.threadId} does not exist yet`;
          return fail(ErrorCodes.ValidationFailed, `invalid message: projectId: ${why}`, [{ path: 'projectId', message: why }]);
        }
        projectId = c.projectId;
      }
      if (c.taskId !== null) {
        if (c.taskProjectId === null) return fail(ErrorCodes.NotFound, `task ${c.taskId} does not exist`);
        if (c.taskProjectId !== projectId) {
          return fail(ErrorCodes.Conflict, `task ${c.taskId} belongs to project ${c.taskProjectId}, not to project ${projectId} of thread ${c.threadId}`);
        }
      }
      return [
        {
          type: 'MessagePosted',
          data: {
            messageId: c.messageId,
            threadId: c.threadId,
            projectId,
            taskId: c.taskId,
            senderId: c.senderId,
            messageType: c.messageType,
            payload: c.payload,
            postedAt: nextPostedAt(c.now, state.exists ? state.lastPostedAt : null),
          },
        },
      ];
    }
  }
}

export function evolveThread(state: ThreadState, event: ThreadEvent): ThreadState {
  switch (event.type) {
    case 'MessagePosted': {
      const { threadId, projectId, postedAt } = event.data;
      return state.exists
        ? { ...state, lastPostedAt: postedAt, messageCount: state.messageCount + 1 }
        : { exists: true, threadId, projectId, lastPostedAt: postedAt, messageCount: 1 };
    }
  }
}

export const threadDecider: Decider<ThreadCommand, ThreadEvent, ThreadState> = {
  decide: decideThread,
  evolve: evolveThread,
  initialState: initialThreadState,
};
