import { FeatureRow } from '../read-models/feature-row.entity';
import { ProjectRow } from '../read-models/project-row.entity';
import { RunRow } from '../read-models/run-row.entity';
import { SessionRow } from '../read-models/session-row.entity';
import { TimelineRow, TimelineRunRow, TimelineSessionRow } from '../read-models/timeline-row.entity';
import { CreateRunnerReadModels1764900000000 } from './1764900000000-create-read-models';

/** In order: TypeORM runs the ones a database has not seen yet. */
export const runnerMigrations = [CreateRunnerReadModels1764900000000];

/** The runner's TypeORM entities, for its DataSource. */
export const runnerEntities = [ProjectRow, FeatureRow, RunRow, SessionRow, TimelineRow, TimelineRunRow, TimelineSessionRow];
