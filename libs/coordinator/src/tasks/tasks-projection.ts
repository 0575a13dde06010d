import type { TaskEvent, TaskView } from '@autocoder/contracts';
import type { RecordedEvent } from '@autocoder/eventstore';
import type { Projection } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { taskDecider, type TaskState } from './task';
import { TaskRow } from './task-row.entity';
import { taskRowOfState, taskStateOfRow, taskViewOfState } from './task-view';

type Existing = Extract<TaskState, { exists: true }>;

/** Every event type of the task aggregate: the projection folds exactly these. */
const TASK_EVENT_TYPES: Record<TaskEvent['type'], true> = {
  TaskCreated: true,
  TaskClaimed: true,
  LeaseExtended: true,
  TaskReleased: true,
  TaskStatusChanged: true,
  LeaseExpired: true,
};
const isTaskEvent = (event: RecordedEvent): boolean => Object.hasOwn(TASK_EVENT_TYPES, event.type);

/** The tasks table's columns, each with the TaskRow field it holds. */
const COLUMNS: Record<string, keyof TaskRow> = {
  task_id: 'taskId',
  project_id: 'projectId',
  title: 'title',
  description: 'description',
  required_specialization_code: 'requiredSpecializationCode',
  created_by: 'createdBy',
  priority: 'priority',
  depends_on: 'dependsOn',
  status: 'status',
  blocker: 'blocker',
  lease_id: 'leaseId',
  assignee_agent_id: 'assigneeAgentId',
  assignee_id: 'assigneeId',
  lease_expires_at: 'leaseExpiresAt',
  fencing_token: 'fencingToken',
  lease_ttl_sec: 'leaseTtlSec',
  claim_override: 'claimOverride',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  revision: 'revision',
};
const columns = Object.keys(COLUMNS);

/** The tasks list, folded with the decider's own `evolve` so it cannot drift from the aggregate. */
export class TasksProjection implements Projection<TaskView> {
  readonly name = 'coordinator.tasks';
  readonly tables: string[];

  constructor(private readonly schema: string) {
    this.tables = [`${schema}.tasks`];
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<TaskView[]> {
    const ours = events.filter(isTaskEvent);
    if (ours.length === 0) return [];
    const ids = [...new Set(ours.map((e) => (e.data as { taskId: string }).taskId))];
    const states = new Map<string, { state: TaskState; revision: number }>();
    for (const row of await tx.getRepository(TaskRow).findBy({ taskId: In(ids) })) {
      states.set(row.taskId, { state: taskStateOfRow(row), revision: row.revision });
    }
    for (const event of ours) {
      const id = (event.data as { taskId: string }).taskId;
      const current = states.get(id) ?? { state: taskDecider.initialState, revision: -1 };
      const state = taskDecider.evolve(current.state, { type: event.type, data: event.data } as TaskEvent);
      states.set(id, { state, revision: event.revision });
    }
    const existing = [...states.values()].filter((s): s is { state: Existing; revision: number } => s.state.exists);
    await this.upsert(existing.map(({ state, revision }) => taskRowOfState(state, revision)), tx);
    return existing.map(({ state, revision }) => taskViewOfState(state, revision));
  }

  /** Every changed task in one statement. */
  private async upsert(rows: TaskRow[], tx: EntityManager) {
    if (rows.length === 0) return;
    const records = rows.map((row) => Object.fromEntries(columns.map((column) => [column, row[COLUMNS[column]]])));
    const table = `${this.schema}.tasks`;
    await tx.query(
      `INSERT INTO ${table} (${columns.join(', ')})
       SELECT ${columns.join(', ')} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
       ON CONFLICT (task_id) DO UPDATE SET ${columns.filter((c) => c !== 'task_id').map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
      [JSON.stringify(records)],
    );
  }
}
