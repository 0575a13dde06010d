import { ErrorCodes, fail, type ThreadEvent } from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

/** Who posts: the admin (as any sender) or an agent (only as its own employee). */
export type ChatActor = { kind: 'admin' } | { kind: 'agent'; agentId: string; employeeId: string };

export type ThreadCommand = {
  type: 'PostMessage';
  data: {
    messageId: string;
    threadId: string;
    /** Null: the message names no project (the thread keeps the one it has, or stays without). */
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
      /** Null until a message ties the thread to a project (by naming it or a task of it); then fixed. */
      projectId: string | null;
      lastPostedAt: string;
      messageCount: number;
    };

export const initialThreadState: ThreadState = { exists: false };


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
      const threadProject = state.exists ? state.projectId : null;
      if (threadProject !== null && c.projectId !== null && c.projectId !== threadProject) {
        return fail(
          ErrorCodes.Conflict,
          `thread ${c.threadId} belongs to project ${threadProject}; it cannot take a message for project ${c.projectId} ` +
            '(start a new thread for that project)',
        );
      }
      let projectId = threadProject ?? c.projectId;
      if (c.taskId !== null) {
        if (c.taskProjectId === null) return fail(ErrorCodes.NotFound, `task ${c.taskId} does not exist`);
        if (projectId !== null && c.taskProjectId !== projectId) {
          const whose = threadProject !== null ? `project ${projectId} of thread ${c.threadId}` : `project ${projectId}, which this message names`;
          return fail(ErrorCodes.Conflict, `task ${c.taskId} belongs to project ${c.taskProjectId}, not to ${whose}`);
        }
        // A task ties a thread without a project to the task's project.
        projectId = c.taskProjectId;
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
      // A message carries the thread's project as of that message: the first one naming it ties the thread.
      const { threadId, projectId, postedAt } = event.data;
      return state.exists
        ? { ...state, projectId: state.projectId ?? projectId, lastPostedAt: postedAt, messageCount: state.messageCount + 1 }
        : { exists: true, threadId, projectId, lastPostedAt: postedAt, messageCount: 1 };
    }
  }
}

export const threadDecider: Decider<ThreadCommand, ThreadEvent, ThreadState> = {
  decide: decideThread,
  evolve: evolveThread,
  initialState: initialThreadState,
};
