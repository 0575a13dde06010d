import {
  ErrorCodes,
  fail,
  LeasedStatuses,
  TaskTransitions,
  type TaskDefinition,
  type TaskEvent,
  type TaskStatus,
} from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

export interface Lease {
  leaseId: string;
  agentId: string;
  employeeId: string;
  expiresAt: string;
  fencingToken: number;
}

/** Who asks: the admin, or an agent (which may act only on a lease it holds). */
export type TaskActor = { kind: 'admin' } | { kind: 'agent'; agentId: string; employeeId: string };

export type TaskCommand =
  | { type: 'CreateTask'; data: TaskDefinition & { taskId: string; status: 'backlog' | 'ready'; now: string } }
  | {
      type: 'ClaimTask';
      data: {
        taskId: string;
        agentId: string;
        employeeId: string;
        agentSpecializations: string[];
        override: boolean;
        leaseTtlSec: number;
        leaseId: string;
        /** Dependencies that are not done yet, as the read model says. */
        pendingDependencies: string[];
        now: string;
      };
    }
  | { type: 'ExtendLease'; data: { taskId: string; actor: TaskActor; fencingToken?: number; now: string } }
  | { type: 'ReleaseTask'; data: { taskId: string; actor: TaskActor; reason: string | null; fencingToken?: number; now: string } }
  | { type: 'ChangeTaskStatus'; data: { taskId: string; actor: TaskActor; to: TaskStatus; reason: string | null; fencingToken?: number; now: string } }
  | { type: 'ExpireLease'; data: { taskId: string; now: string } };

export type TaskState =
  | { exists: false }
  | (TaskDefinition & {
      exists: true;
      taskId: string;
      status: TaskStatus;
      blocker: string | null;
      lease: Lease | null;
      /** Last fencing token handed out: each claim gets a larger one. */
      lastFencingToken: number;
      lastLeaseTtlSec: number;
      claimOverride: boolean;
      createdAt: string;
      updatedAt: string;
    });

export type ExistingTask = Extract<TaskState, { exists: true }>;

export const initialTaskState: TaskState = { exists: false };


const mustExist = (state: TaskState, taskId: string): ExistingTask => (state.exists ? state : fail(ErrorCodes.NotFound, `task ${taskId} does not exist`));

const actorLabel = (actor: TaskActor) => (actor.kind === 'admin' ? 'admin' : `agent:${actor.agentId}`);

const leaseActive = (lease: Lease | null, now: string): boolean => !!lease && Date.parse(now) < Date.parse(lease.expiresAt);

const addSeconds = (iso: string, sec: number) => new Date(Date.parse(iso) + sec * 1000).toISOString();

/**
 * An agent may act on a task only while it holds the task's lease. A holder whose lease has run out
 * is refused even before the expiry is recorded, so a late request cannot act on a lost lease.
 */
function requireHolder(state: ExistingTask, actor: TaskActor, now: string, fencingToken?: number): Lease | null {
  if (actor.kind === 'admin') return state.lease;
  const lease = state.lease;
  if (!lease || lease.agentId !== actor.agentId) {
    return fail(
      ErrorCodes.LeaseNotHeld,
      `task ${state.taskId} is ${state.status}${lease ? ` and leased to employee ${lease.employeeId}` : ' with no lease'}; employee ${actor.employeeId} does not hold it`,
    );
  }
  if (!leaseActive(lease, now)) {
    return fail(ErrorCodes.LeaseExpired, `the lease of employee ${actor.employeeId} on task ${state.taskId} expired at ${lease.expiresAt}; claim the task again`);
  }
  if (fencingToken !== undefined && fencingToken !== lease.fencingToken) {
    return fail(ErrorCodes.LeaseNotHeld, `fencing token ${fencingToken} is stale: the current lease on task ${state.taskId} has token ${lease.fencingToken}`);
  }
  return lease;
}

export function decideTask(command: TaskCommand, state: TaskState): TaskEvent[] {
  switch (command.type) {
    case 'CreateTask': {
      const { now, ...task } = command.data;
      if (state.exists) return []; // a retried create with the same task id
      return [{ type: 'TaskCreated', data: { ...task, createdAt: now } }];
    }

    case 'ClaimTask': {
      const c = command.data;
      const task = mustExist(state, c.taskId);
      if (task.status !== 'ready') {
        const held: Lease | null = task.lease;
        if (held && LeasedStatuses.includes(task.status)) {
          const who = held.agentId === c.agentId ? 'you' : `employee ${held.employeeId}`;
          return fail(ErrorCodes.AlreadyClaimed, `task ${c.taskId} is already ${task.status} by ${who} until ${held.expiresAt}`);
        }
        return fail(ErrorCodes.InvalidTransition, `task ${c.taskId} is ${task.status}; only a ready task can be claimed`);
      }
      const matches = c.agentSpecializations.includes(task.requiredSpecializationCode);
      if (!matches && !c.override) {
        return fail(
          ErrorCodes.SpecializationMismatch,
          `task ${c.taskId} needs specialization "${task.requiredSpecializationCode}"; employee ${c.employeeId} has ${c.agentSpecializations.length ? c.agentSpecializations.map((s) => `"${s}"`).join(', ') : 'none'} (send override=true to claim it anyway)`,
        );
      }
      if (c.pendingDependencies.length) {
        return fail(ErrorCodes.DependenciesNotDone, `task ${c.taskId} waits for tasks that are not done: ${c.pendingDependencies.join(', ')}`);
      }
      return [
        {
          type: 'TaskClaimed',
          data: {
            taskId: c.taskId,
            leaseId: c.leaseId,
            agentId: c.agentId,
            employeeId: c.employeeId,
            leaseTtlSec: c.leaseTtlSec,
            leaseExpiresAt: addSeconds(c.now, c.leaseTtlSec),
            fencingToken: task.lastFencingToken + 1,
            override: !matches,
            claimedAt: c.now,
          },
        },
      ];
    }

    case 'ExtendLease': {
      const { taskId, actor, fencingToken, now } = command.data;
      const task = mustExist(state, taskId);
      const lease = requireHolder(task, actor, now, fencingToken);
      if (!lease) return fail(ErrorCodes.LeaseNotHeld, `task ${taskId} has no lease to extend`);
      return [{ type: 'LeaseExtended', data: { taskId, leaseId: lease.leaseId, leaseExpiresAt: addSeconds(now, task.lastLeaseTtlSec), extendedAt: now } }];
    }

    case 'ReleaseTask': {
      const { taskId, actor, reason, fencingToken, now } = command.data;
      const task = mustExist(state, taskId);
      const lease = requireHolder(task, actor, now, fencingToken);
      if (!lease) return fail(ErrorCodes.LeaseNotHeld, `task ${taskId} is ${task.status}; there is no lease to release`);
      return [{ type: 'TaskReleased', data: { taskId, leaseId: lease.leaseId, agentId: lease.agentId, reason, releasedBy: actorLabel(actor), releasedAt: now } }];
    }

    case 'ChangeTaskStatus': {
      const { taskId, actor, to, reason, fencingToken, now } = command.data;
      const task = mustExist(state, taskId);
      const lease = actor.kind === 'agent' ? requireHolder(task, actor, now, fencingToken) : task.lease;
      const allowed = TaskTransitions[task.status];
      if (!allowed.includes(to)) {
        return fail(
          ErrorCodes.InvalidTransition,
          `task ${taskId} is ${task.status}; it can move to ${allowed.length ? allowed.join(', ') : 'nothing (it is final)'}, not ${to}` +
            (to === 'ready' && LeasedStatuses.includes(task.status) ? ' (release the task to return it to ready)' : '') +
            (to === 'claimed' ? ' (claim the task to take it)' : ''),
        );
      }
      if (to === 'blocked' && !reason) return fail(ErrorCodes.ValidationFailed, `moving task ${taskId} to blocked needs a blocker saying what blocks it`);
      return [{ type: 'TaskStatusChanged', data: { taskId, from: task.status, to, reason, changedBy: actorLabel(actor), leaseId: lease?.leaseId ?? null, changedAt: now } }];
    }

    case 'ExpireLease': {
      const { taskId, now } = command.data;
      if (!state.exists || !state.lease || leaseActive(state.lease, now)) return [];
      const { leaseId, agentId, expiresAt } = state.lease;
      return [{ type: 'LeaseExpired', data: { taskId, leaseId, agentId, leaseExpiresAt: expiresAt, expiredAt: now } }];
    }
  }
}

export function evolveTask(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskCreated') {
    const { createdAt, ...task } = event.data;
    return { exists: true, ...task, blocker: null, lease: null, lastFencingToken: 0, lastLeaseTtlSec: 0, claimOverride: false, createdAt, updatedAt: createdAt };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'TaskClaimed': {
      const d = event.data;
      return {
        ...state,
        status: 'claimed',
        blocker: null,
        lease: { leaseId: d.leaseId, agentId: d.agentId, employeeId: d.employeeId, expiresAt: d.leaseExpiresAt, fencingToken: d.fencingToken },
        lastFencingToken: d.fencingToken,
        lastLeaseTtlSec: d.leaseTtlSec,
        claimOverride: d.override,
        updatedAt: d.claimedAt,
      };
    }
    case 'LeaseExtended':
      return state.lease ? { ...state, lease: { ...state.lease, expiresAt: event.data.leaseExpiresAt }, updatedAt: event.data.extendedAt } : state;
    case 'TaskReleased':
      return { ...state, status: 'ready', lease: null, claimOverride: false, updatedAt: event.data.releasedAt };
    case 'LeaseExpired':
      return { ...state, status: 'ready', lease: null, claimOverride: false, updatedAt: event.data.expiredAt };
    case 'TaskStatusChanged': {
      const { to, reason, changedAt } = event.data;
      const keepsLease = LeasedStatuses.includes(to);
      return {
        ...state,
        status: to,
        blocker: to === 'blocked' ? reason : null,
        lease: keepsLease ? state.lease : null,
        claimOverride: keepsLease ? state.claimOverride : false,
        updatedAt: changedAt,
      };
    }
  }
}

export const taskDecider: Decider<TaskCommand, TaskEvent, TaskState> = {
  decide: decideTask,
  evolve: evolveTask,
  initialState: initialTaskState,
};
