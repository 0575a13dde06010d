import { CreateAgents1763740000000 } from './1763740000000-create-agents';

/** In order: TypeORM runs the ones a database has not seen yet. */
export const coordinatorMigrations = [CreateAgents1763740000000];
