import type { TaskEvent, TaskView } from '@autocoder/contracts';
import { FoldBatch, HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { taskDecider, type TaskState } from './task';
import { TaskRow } from './task-row.entity';
import { taskRowOfState, taskStateOfRow, taskViewOfState } from './task-view';

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

/** The tasks list, folded with the decider's own `evolve` so it cannot drift from the aggregate. */
export class TasksProjection extends HandlerProjection<TaskEvent, TasksBatch, TaskView> {
  readonly name = 'coordinator.tasks';
  readonly tables: string[];
  protected readonly handlers = tasksHandlers;

  constructor(schema: string) {
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
    const existing = [...batch.states.values()].filter((s): s is { state: Extract<TaskState, { exists: true }>; revision: number } => s.state.exists);
    await tx.getRepository(TaskRow).save(existing.map(({ state, revision }) => taskRowOfState(state, revision)));
    return existing.map(({ state, revision }) => taskViewOfState(state, revision));
  }
}
