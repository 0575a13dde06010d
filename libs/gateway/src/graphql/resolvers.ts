import { AgentsResolver } from './agents.resolver';
import { TasksResolver } from './tasks.resolver';

/** Every GraphQL resolver the gateway serves; the schema printer uses the same list. */
export const GATEWAY_RESOLVERS = [AgentsResolver, TasksResolver];
