/** Events of the coordination chat (stream `thread-<threadId>`), owned by the coordinator. */

export type MessagePosted = {
  type: 'MessagePosted';
  data: {
    messageId: string;
    threadId: string;
    /**
     * The thread's project as of this message: null while the thread has none. The first message that
     * names a project (or a task, whose project it takes) ties the thread to it for good.
     */
    projectId: string | null;
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
