import type { Provider, Type } from '@nestjs/common';
import { CollaborationClient } from './collaboration-client';
import { CoordinatorClient } from './coordinator-client';
import { AgentsResolver } from './graphql/agents.resolver';
import { MessagesResolver } from './graphql/messages.resolver';
import { DecisionsResolver, PlansResolver } from './graphql/planning.resolver';
import { TasksResolver } from './graphql/tasks.resolver';
import { OperationsResolver } from './operations/operations.resolver';
import { ServicesClient } from './operations/services-client';
import { CoordAgentsController } from './rest/coord-agents.controller';
import { CoordMessagesController } from './rest/coord-messages.controller';
import { CoordDecisionsController, CoordPlansController } from './rest/coord-planning.controller';
import { CoordTasksController } from './rest/coord-tasks.controller';
import { HealthController } from './rest/health.controller';
import { AgentRunsController } from './runner/agent-runs.controller';
import { ProjectsController } from './runner/projects.controller';
import { RunWebSocketServer } from './runner/run-websocket.server';
import { RunTimelineWatch } from './runner/run-timeline-watch';
import { RunnerClient } from './runner/runner-client';
import { ProjectsResolver, RunsResolver, TokenUsageResolver } from './runner/runner.resolver';
import { TasksClient } from './tasks-client';
import { BudgetTargets } from './usage/budget-targets';
import { UsageClient } from './usage/usage-client';
import { UsageController } from './usage/usage.controller';
import { ProjectUsageResolver, RunCostResolver, UsageResolver } from './usage/usage.resolver';

/** What the gateway serves for one context: its bus clients, REST controllers and GraphQL resolvers. */
export interface GatewayPart {
  name: string;
  clients: Provider[];
  controllers: Type<unknown>[];
  resolvers: Type<unknown>[];
  /** Anything else it runs in the gateway (its websocket, its notification fan-out). */
  providers?: Provider[];
}

const operations: GatewayPart = { name: 'operations', clients: [ServicesClient], controllers: [HealthController], resolvers: [OperationsResolver] };

const coordinator: GatewayPart = {
  name: 'coordinator',
  clients: [CoordinatorClient, TasksClient, CollaborationClient],
  controllers: [CoordAgentsController, CoordTasksController, CoordMessagesController, CoordPlansController, CoordDecisionsController],
  resolvers: [AgentsResolver, TasksResolver, MessagesResolver, PlansResolver, DecisionsResolver],
};

const runner: GatewayPart = {
  name: 'runner',
  clients: [RunnerClient],
  controllers: [ProjectsController, AgentRunsController],
  resolvers: [ProjectsResolver, RunsResolver, TokenUsageResolver],
  providers: [RunTimelineWatch, RunWebSocketServer],
};

// The runner's GET /api/agent-runs/:id asks it for the run's cost, so its client is shared with every part.
const usage: GatewayPart = {
  name: 'usage',
  clients: [UsageClient],
  controllers: [UsageController],
  resolvers: [UsageResolver, ProjectUsageResolver, RunCostResolver],
  providers: [BudgetTargets],
};

/** Every part the gateway serves; a new context adds its part (a folder of its own) here. */
export const GATEWAY_PARTS: readonly GatewayPart[] = [operations, coordinator, runner, usage];

/** Every GraphQL resolver; the schema printer uses the same list. */
export const GATEWAY_RESOLVERS = GATEWAY_PARTS.flatMap((part) => part.resolvers);
