import { projectStreamName, type ProjectEvent } from '@autocoder/contracts';
import type { AggregateStore, EventStore } from '@autocoder/eventstore';
import type { Logger } from '@autocoder/platform';
import { Reactor } from '@autocoder/reactors';
import type { Pool } from 'pg';
import type { CoordinatorTasks } from '../driver/coordinator-tasks';
import { featureTaskCommandId } from './feature-tasks';
import { isFinished, unblockedFeatures, type ExistingProject, type ProjectCommand, type ProjectState } from './project';

/**
 * The outbox of features to coordinator tasks: when features are defined, or one passes or is skipped,
 * every feature whose dependencies are now finished gets its task. The features' events are the
 * record; this reactor delivers them at least once, and the task's command id follows from the
 * feature, so the coordinator makes each task once however often it is asked.
 */
export function featureTasksReactor(options: {
  store: EventStore;
  pool: Pool;
  schema: string;
  logger: Logger;
  projects: AggregateStore<ProjectCommand, ProjectEvent, ProjectState>;
  tasks: CoordinatorTasks;
}): Reactor<ProjectEvent> {
  const createTasks = async (projectId: string, correlationId: string) => {
    const { state } = await options.projects.load(projectStreamName(projectId));
    if (!state.exists) return;
    for (const feature of unblockedFeatures(state as ExistingProject).filter((f) => !isFinished(f))) {
      await options.tasks.createFeatureTask(
        featureTaskCommandId(feature.featureId),
        { projectId, title: feature.name, description: `${feature.description}\n\nfeature ${feature.featureId}`, priority: 'P2' },
        correlationId,
      );
    }
  };
  return new Reactor<ProjectEvent>({
    name: 'runner.feature-tasks',
    store: options.store,
    pool: options.pool,
    schema: options.schema,
    logger: options.logger,
    reactions: {
      FeaturesDefined: (event) => createTasks(event.data.projectId, event.metadata.correlationId),
      FeatureStatusChanged: async (event) => {
        if (event.data.to === 'passing' || event.data.to === 'skipped') await createTasks(event.data.projectId, event.metadata.correlationId);
      },
    },
  });
}
