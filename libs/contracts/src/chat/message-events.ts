/** Events of the coordination chat (stream `thread-<threadId>`), owned by the coordinator. */

export type MessagePosted = {
  type: 'MessagePosted';
  data: {
    messageId: string;
    threadId: string;
    /** Fixed by the thread's first message: every message of a thread names the same project. */
    projectId: string;
    taskId: string | null;
    senderId: string;
    messageType: string;
    payload: Record<string, unknown>;
    /** ISO 8601, UTC; strictly increasing within a thread. */
    postedAt: string;
  };
};

export type ThreadEvent = MessagePosted;

export const threadStreamName = (threadId: string) => `thread-${threadId}`;
