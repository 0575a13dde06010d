/** Events of the task aggregate (stream `task-<taskId>`), owned by the coordinator. */

export const TaskStatuses = ['backlog', 'ready', 'claimed', 'in_progress', 'review', 'done', 'blocked', 'canceled'] as const;
export type TaskStatus = (typeof TaskStatuses)[number];

export const TaskPriorities = ['P0', 'P1', 'P2', 'P3'] as const;
export type TaskPriority = (typeof TaskPriorities)[number];

export interface TaskDefinition {
  projectId: string;
  title: string;
  description: string;
  requiredSpecializationCode: string;
  createdBy: string;
  priority: TaskPriority;
  dependsOn: string[];
}

export type TaskCreated = { type: 'TaskCreated'; data: TaskDefinition & { taskId: string; status: 'backlog' | 'ready'; createdAt: string } };
export type TaskClaimed = {
  type: 'TaskClaimed';
  data: {
    taskId: string;
    leaseId: string;
    agentId: string;
    employeeId: string;
    leaseTtlSec: number;
    leaseExpiresAt: string;
    fencingToken: number;
    /** The claimer lacked the required specialization and said override=true. */
    override: boolean;
    claimedAt: string;
  };
};
export type LeaseExtended = { type: 'LeaseExtended'; data: { taskId: string; leaseId: string; leaseExpiresAt: string; extendedAt: string } };
export type TaskReleased = { type: 'TaskReleased'; data: { taskId: string; leaseId: string; agentId: string; reason: string | null; releasedBy: string; releasedAt: string } };
export type TaskStatusChanged = {
  type: 'TaskStatusChanged';
  data: { taskId: string; from: TaskStatus; to: TaskStatus; reason: string | null; changedBy: string; leaseId: string | null; changedAt: string };
};
export type LeaseExpired = { type: 'LeaseExpired'; data: { taskId: string; leaseId: string; agentId: string; leaseExpiresAt: string; expiredAt: string } };

export type TaskEvent = TaskCreated | TaskClaimed | LeaseExtended | TaskReleased | TaskStatusChanged | LeaseExpired;

export const taskStreamName = (taskId: string) => `task-${taskId}`;

/** Status changes by command (claims, releases and expiry move tasks too, by their own events). */
export const TaskTransitions: Record<TaskStatus, readonly TaskStatus[]> = {
  backlog: ['ready', 'blocked', 'canceled'],
  ready: ['backlog', 'blocked', 'canceled'],
  claimed: ['in_progress', 'blocked', 'canceled'],
  in_progress: ['review', 'blocked', 'canceled'],
  review: ['done', 'in_progress', 'blocked', 'canceled'],
  blocked: ['ready', 'backlog', 'canceled'],
  done: [],
  canceled: [],
};

/** Statuses in which a task has a holder with a lease. */
export const LeasedStatuses: readonly TaskStatus[] = ['claimed', 'in_progress', 'review'];
