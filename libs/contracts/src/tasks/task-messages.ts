import { z } from 'zod';
import { nameBasedUuid } from '../ids';
import { uuid } from '../validation';
import { TaskPriorities, TaskStatuses, type TaskDefinition, type TaskStatus } from './task-events';

export const LEASE_TTL_MIN_SEC = 1;
export const LEASE_TTL_MAX_SEC = 86_400;
export const LEASE_TTL_DEFAULT_SEC = 1800;

const specializationCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1-64 characters of a-z, 0-9, "_", "." or "-", starting with a letter or digit');
const reason = z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters');

export const CreateTaskInput = z.strictObject({
  projectId: uuid(),
  title: z.string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters'),
  description: z.string().max(20_000, 'must be at most 20000 characters').default(''),
  requiredSpecializationCode: specializationCode,
  createdBy: uuid(),
  priority: z.enum(TaskPriorities, { message: `must be one of ${TaskPriorities.join(', ')}` }).default('P2'),
  dependsOn: z.array(uuid()).max(100, 'must list at most 100 tasks').default([]),
  /** Tasks start ready to claim unless put in the backlog. */
  status: z.enum(['backlog', 'ready'], { message: 'must be backlog or ready' }).default('ready'),
});
export type CreateTaskInput = z.infer<typeof CreateTaskInput>;

const leaseTtlSec = z
  .number({ message: 'must be a number of seconds' })
  .int('must be a whole number of seconds')
  .min(LEASE_TTL_MIN_SEC, `must be at least ${LEASE_TTL_MIN_SEC} and at most ${LEASE_TTL_MAX_SEC} seconds`)
  .max(LEASE_TTL_MAX_SEC, `must be at least ${LEASE_TTL_MIN_SEC} and at most ${LEASE_TTL_MAX_SEC} seconds`);

export const ClaimTaskInput = z.strictObject({
  taskId: uuid(),
  employeeId: uuid(),
  leaseTtlSec: leaseTtlSec.default(LEASE_TTL_DEFAULT_SEC),
  override: z.boolean().default(false),
});
export type ClaimTaskInput = z.infer<typeof ClaimTaskInput>;

export const ClaimNextTaskInput = z.strictObject({
  employeeId: uuid(),
  leaseTtlSec: leaseTtlSec.default(LEASE_TTL_DEFAULT_SEC),
  projectId: uuid().optional(),
});
export type ClaimNextTaskInput = z.infer<typeof ClaimNextTaskInput>;

export const TaskHeartbeatInput = z.strictObject({ taskId: uuid(), employeeId: uuid(), fencingToken: z.number().int().positive().optional() });
export type TaskHeartbeatInput = z.infer<typeof TaskHeartbeatInput>;

export const ReleaseTaskInput = z.strictObject({
  taskId: uuid(),
  employeeId: uuid().optional(),
  reason: reason.optional(),
  fencingToken: z.number().int().positive().optional(),
});
export type ReleaseTaskInput = z.infer<typeof ReleaseTaskInput>;

export const ChangeTaskStatusInput = z.strictObject({
  taskId: uuid(),
  employeeId: uuid().optional(),
  status: z.enum(TaskStatuses, { message: `must be one of ${TaskStatuses.join(', ')}` }),
  blocker: reason.optional(),
  reason: reason.optional(),
  fencingToken: z.number().int().positive().optional(),
});
export type ChangeTaskStatusInput = z.infer<typeof ChangeTaskStatusInput>;

/**
 * The fencing token of the claim a request acts under. The seed's payloads may leave it out (the
 * agent then acts on whatever lease it holds); the holder subjects require it.
 */
const heldFencingToken = z
  .number({ message: 'must be the fencing token your claim answered with' })
  .int('must be the fencing token your claim answered with')
  .positive('must be the fencing token your claim answered with');

/**
 * The lease holder's own commands on the holder subjects, which internal callers (the runner's
 * workers) use: the seed's heartbeat, release and status payloads with employeeId and fencingToken
 * required, so a worker acting under a lease it lost (expired, released, or since claimed by
 * another worker of the same agent) is refused instead of acting through the newer lease.
 */
export const HolderHeartbeatInput = TaskHeartbeatInput.extend({ fencingToken: heldFencingToken });
export type HolderHeartbeatInput = z.infer<typeof HolderHeartbeatInput>;
export const HolderReleaseInput = ReleaseTaskInput.extend({ employeeId: uuid(), fencingToken: heldFencingToken });
export type HolderReleaseInput = z.infer<typeof HolderReleaseInput>;
export const HolderStatusInput = ChangeTaskStatusInput.extend({ employeeId: uuid(), fencingToken: heldFencingToken });
export type HolderStatusInput = z.infer<typeof HolderStatusInput>;

export const ListTasksInput = z.strictObject({
  status: z.enum(TaskStatuses, { message: `must be one of ${TaskStatuses.join(', ')}` }).optional(),
  projectId: uuid().optional(),
  specialization: specializationCode.optional(),
  assigneeId: uuid().optional(),
  /** Most rows in one answer (a query string's "500" is read as a number). */
  limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 1000').max(1000, 'must be from 1 to 1000').default(500),
});
export type ListTasksInput = z.infer<typeof ListTasksInput>;

export const GetTaskInput = z.strictObject({ taskId: uuid() });

export interface TaskView extends TaskDefinition {
  taskId: string;
  status: TaskStatus;
  blocker: string | null;
  /** Employee id of the current lease holder. */
  assigneeId: string | null;
  assigneeAgentId: string | null;
  leaseExpiresAt: string | null;
  fencingToken: number | null;
  claimOverride: boolean;
  createdAt: string;
  updatedAt: string;
  revision: number;
}

export interface ClaimResult {
  task: TaskView;
  leaseExpiresAt: string;
  fencingToken: number;
}

export interface TaskHeartbeatResult {
  taskId: string;
  leaseExpiresAt: string;
  fencingToken: number;
}

/** The id of the task a create-task command makes: the same command id always makes the same task. */
export const taskIdOfCreateCommand = (commandId: string): string => nameBasedUuid(`task/${commandId}`);
