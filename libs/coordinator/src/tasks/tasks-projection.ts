import type { TaskEvent, TaskView } from '@autocoder/contracts';
import { FoldBatch, HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { taskDecider, type ExistingTask, type TaskState } from './task';
import { TaskRow } from './task-row.entity';
import { taskRowOfState, taskStateOfRow, taskViewOfState } from './task-view';

export const TASKS_PROJECTION = 'coordinator.tasks';

type TasksBatch = FoldBatch<TaskState, TaskEvent>;
const fold = (event: Recorded<TaskEvent>, batch: TasksBatch) => batch.fold(event.data.taskId, event);

/** Every task event changes the task's row: folded with the decider's own `evolve`. */
export const tasksHandlers: EventHandlers<TaskEvent, TasksBatch> = {
  TaskCreated: fold,
  TaskClaimed: fold,
  LeaseExtended: fold,
  TaskReleased: fold,
  TaskStatusChanged: fold,
  LeaseExpired: fold,
};

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
export class TasksProjection extends HandlerProjection<TaskEvent, TasksBatch, TaskView> {
  readonly name = TASKS_PROJECTION;
  readonly tables: string[];
  protected readonly handlers = tasksHandlers;

  constructor(private readonly schema: string) {
    super();
    this.tables = [`${schema}.tasks`];
  }

  protected async begin(events: Recorded<TaskEvent>[], tx: EntityManager): Promise<TasksBatch> {
    const batch = new FoldBatch(taskDecider.initialState, taskDecider.evolve);
    const ids = [...new Set(events.map((e) => e.data.taskId))];
    for (const row of await tx.getRepository(TaskRow).findBy({ taskId: In(ids) })) batch.load(row.taskId, taskStateOfRow(row), row.revision);
    return batch;
  }

  protected async finish(batch: TasksBatch, tx: EntityManager): Promise<TaskView[]> {
    const existing = [...batch.states.values()].filter((s): s is { state: ExistingTask; revision: number } => s.state.exists);
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

