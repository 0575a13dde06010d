import type { TaskEvent, TaskView } from '@autocoder/contracts';
import type { RecordedEvent } from '@autocoder/eventstore';
import type { Projection } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { taskDecider, type TaskState } from './task';
import { TaskRow } from './task-row.entity';
import { taskRowOfState, taskStateOfRow, taskViewOfState } from './task-view';

const TASK_EVENTS = new Set(['TaskCreated', 'TaskClaimed', 'LeaseExtended', 'TaskReleased', 'TaskStatusChanged', 'LeaseExpired']);

/** The tasks list, folded with the decider's own `evolve` so it cannot drift from the aggregate. */
export class TasksProjection implements Projection<TaskView> {
  readonly name = 'coordinator.tasks';
  readonly tables: string[];

  constructor(schema: string) {
    this.tables = [`${schema}.tasks`];
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<TaskView[]> {
    const ours = events.filter((e) => TASK_EVENTS.has(e.type));
    if (ours.length === 0) return [];
    const repo = tx.getRepository(TaskRow);
    const ids = [...new Set(ours.map((e) => (e.data as { taskId: string }).taskId))];
    const states = new Map<string, { state: TaskState; revision: number }>();
    for (const row of await repo.findBy({ taskId: In(ids) })) states.set(row.taskId, { state: taskStateOfRow(row), revision: row.revision });
    for (const event of ours) {
      const id = (event.data as { taskId: string }).taskId;
      const current = states.get(id) ?? { state: taskDecider.initialState, revision: -1 };
      states.set(id, { state: taskDecider.evolve(current.state, { type: event.type, data: event.data } as TaskEvent), revision: event.revision });
    }
    const existing = [...states.values()].filter((s): s is { state: Extract<TaskState, { exists: true }>; revision: number } => s.state.exists);
    await repo.save(existing.map(({ state, revision }) => taskRowOfState(state, revision)));
    return existing.map(({ state, revision }) => taskViewOfState(state, revision));
  }
}
