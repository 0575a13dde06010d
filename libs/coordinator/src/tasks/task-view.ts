import type { TaskPriority, TaskStatus, TaskView } from '@autocoder/contracts';
import { isoTimestampSql } from '../json-rows';
import type { ExistingTask } from './task';
import { TaskRow } from './task-row.entity';


export function taskRowOfState(state: ExistingTask, revision: number): TaskRow {
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

export function taskStateOfRow(row: TaskRow): ExistingTask {
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

export function taskViewOfState(state: ExistingTask, revision: number): TaskView {
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


/**
 * taskViewOfState(taskStateOfRow(row)) in SQL, for lists: the columns of the tasks row `t` under the
 * view's names and in its order, for `row_to_json`; the lease fields only when the row holds a whole
 * lease, as taskStateOfRow reads it. A test holds lists to the single-task view.
 */
export const taskViewColumnsSql = (t: string) => {
  const leased = `(${t}.lease_id <> '' AND ${t}.assignee_agent_id IS NOT NULL AND ${t}.assignee_id IS NOT NULL AND ${t}.lease_expires_at IS NOT NULL)`;
  return [
    `${t}.task_id AS "taskId"`,
    `${t}.project_id AS "projectId"`,
    `${t}.title AS "title"`,
    `${t}.description AS "description"`,
    `${t}.required_specialization_code AS "requiredSpecializationCode"`,
    `${t}.created_by AS "createdBy"`,
    `${t}.priority AS "priority"`,
    `${t}.depends_on AS "dependsOn"`,
    `${t}.status AS "status"`,
    `${t}.blocker AS "blocker"`,
    `CASE WHEN ${leased} THEN ${t}.assignee_id END AS "assigneeId"`,
    `CASE WHEN ${leased} THEN ${t}.assignee_agent_id END AS "assigneeAgentId"`,
    `CASE WHEN ${leased} THEN ${isoTimestampSql(`${t}.lease_expires_at`)} END AS "leaseExpiresAt"`,
    `CASE WHEN ${leased} THEN ${t}.fencing_token END AS "fencingToken"`,
    `${t}.claim_override AS "claimOverride"`,
    `${isoTimestampSql(`${t}.created_at`)} AS "createdAt"`,
    `${isoTimestampSql(`${t}.updated_at`)} AS "updatedAt"`,
    `${t}.revision AS "revision"`,
  ].join(', ');
};
