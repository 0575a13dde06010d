import { Subjects, type FeatureView, type ProjectView, type RunTimelineEntry, type RunView, type SessionView } from '@autocoder/contracts';
import type { EventStore } from '@autocoder/eventstore';
import type { MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Projector, type Projection } from '@autocoder/projections';
import type { DataSource } from 'typeorm';
import { FeaturesProjection } from './features-projection';
import { ProjectsProjection } from './projects-projection';
import { RunsProjection } from './runs-projection';
import { SessionsProjection } from './sessions-projection';
import { TimelineProjection } from './timeline-projection';

export interface RunnerProjectorsOptions {
  store: EventStore;
  dataSource: DataSource;
  /** The runner's own schema (its read models and checkpoints). */
  schema: string;
  logger: Logger;
  /** Where committed changes are published; none in tests that only read the tables. */
  bus?: Pick<MessageBus, 'publish'>;
  batchSize?: number;
}

export interface RunnerProjectors {
  projects: Projector<ProjectView>;
  features: Projector<FeatureView>;
  runs: Projector<RunView>;
  sessions: Projector<SessionView>;
  timeline: Projector<RunTimelineEntry>;
  /** Every one, in the order they are started and rebuilt. */
  all: Projector<unknown>[];
}

/**
 * The runner's projectors. After each commit the timeline publishes its new entries on
 * `runTimeline`, the runs their changed views on `runUpdated`, the features theirs on `featureUpdated`.
 */
export function createRunnerProjectors(options: RunnerProjectorsOptions): RunnerProjectors {
  const { store, dataSource, schema, logger, bus, batchSize } = options;
  const projector = <Change>(projection: Projection<any, Change>, subject?: string) =>
    new Projector<Change>({
      store,
      dataSource,
      projection,
      schema,
      logger,
      batchSize,
      onCommitted: bus && subject ? (changes) => changes.forEach((change) => bus.publish(subject, change)) : undefined,
    });
  const N = Subjects.notifications;
  const projects = projector<ProjectView>(new ProjectsProjection(schema));
  const features = projector<FeatureView>(new FeaturesProjection(schema), N.featureUpdated);
  const runs = projector<RunView>(new RunsProjection(schema), N.runUpdated);
  const sessions = projector<SessionView>(new SessionsProjection(schema));
  const timeline = projector<RunTimelineEntry>(new TimelineProjection(schema), N.runTimeline);
  return { projects, features, runs, sessions, timeline, all: [projects, features, runs, sessions, timeline] as Projector<unknown>[] };
}
