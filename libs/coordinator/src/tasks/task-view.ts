import type { TaskPriority, TaskStatus, TaskView } from '@autocoder/contracts';
import type { TaskState } from './task';
import { TaskRow } from './task-row.entity';

type Existing = Extract<TaskState, { exists: true }>;

export function taskRowOfState(state: Existing, revision: number): TaskRow {
  return Object.assign(new TaskRow(), {
    taskId: state.taskId,
    projectId: state.projectId,
    title: state.title,
    description: state.description,
    requiredSpecializationCode: state.requiredSpecializationCode,
    createdBy: state.createdBy,
    priority: state.priority,
    dependsOn: state.dependsOn,
    status: state.status,
    blocker: state.blocker,
    leaseId: state.lease?.leaseId ?? null,
    assigneeAgentId: state.lease?.agentId ?? null,
    assigneeId: state.lease?.employeeId ?? null,
    leaseExpiresAt: state.lease ? new Date(state.lease.expiresAt) : null,
    fencingToken: state.lastFencingToken,
    leaseTtlSec: state.lastLeaseTtlSec,
    claimOverride: state.claimOverride,
    createdAt: new Date(state.createdAt),
    updatedAt: new Date(state.updatedAt),
    revision,
  });
}

export function taskStateOfRow(row: TaskRow): Existing {
  return {
    exists: true,
    taskId: row.taskId,
    projectId: row.projectId,
    title: row.title,
    description: row.description,
    requiredSpecializationCode: row.requiredSpecializationCode,
    createdBy: row.createdBy,
    priority: row.priority as TaskPriority,
    dependsOn: row.dependsOn,
    status: row.status as TaskStatus,
    blocker: row.blocker,
    lease:
      row.leaseId && row.assigneeAgentId && row.assigneeId && row.leaseExpiresAt
        ? { leaseId: row.leaseId, agentId: row.assigneeAgentId, employeeId: row.assigneeId, expiresAt: row.leaseExpiresAt.toISOString(), fencingToken: row.fencingToken }
        : null,
    lastFencingToken: row.fencingToken,
    lastLeaseTtlSec: row.leaseTtlSec,
    claimOverride: row.claimOverride,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function taskViewOfState(state: Existing, revision: number): TaskView {
  return {
    taskId: state.taskId,
    projectId: state.projectId,
    title: state.title,
    description: state.description,
    requiredSpecializationCode: state.requiredSpecializationCode,
    createdBy: state.createdBy,
    priority: state.priority,
    dependsOn: state.dependsOn,
    status: state.status,
    blocker: state.blocker,
    assigneeId: state.lease?.employeeId ?? null,
    assigneeAgentId: state.lease?.agentId ?? null,
    leaseExpiresAt: state.lease?.expiresAt ?? null,
    fencingToken: state.lease?.fencingToken ?? null,
    claimOverride: state.claimOverride,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    revision,
  };
}

export const taskViewOfRow = (row: TaskRow): TaskView => taskViewOfState(taskStateOfRow(row), row.revision);
