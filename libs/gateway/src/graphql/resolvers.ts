import { AgentsResolver } from './agents.resolver';
import { TasksResolver } from './tasks.resolver';
import { MessagesResolver } from './messages.resolver';
import { DecisionsResolver, PlansResolver } from './planning.resolver';

/** Every GraphQL resolver the gateway serves; the schema printer uses the same list. */
export const GATEWAY_RESOLVERS = [AgentsResolver, TasksResolver, MessagesResolver, PlansResolver, DecisionsResolver];
