/**
 * Compiled by `npm run typecheck`, never run: each coordinator projection handles every event of its
 * contract union, and an event type added to a union without a handler fails to compile. Each
 * `@ts-expect-error` fails the typecheck if the line under it stops being an error.
 */
import type { AgentEvent, DecisionEvent, PlanEvent, TaskEvent, ThreadEvent } from '@autocoder/contracts';
import type { EventHandlers } from '@autocoder/projections';
import { agentsHandlers } from '../src/agents/agents-projection';
import { messagesHandlers } from '../src/chat/messages-projection';
import { decisionKind, planKind } from '../src/planning/planning-kinds';
import { tasksHandlers } from '../src/tasks/tasks-projection';

// Batch `never`: any handler map over the union fits, whatever it keeps per batch.
export const covered = {
  agents: agentsHandlers satisfies EventHandlers<AgentEvent, never>,
  tasks: tasksHandlers satisfies EventHandlers<TaskEvent, never>,
  messages: messagesHandlers satisfies EventHandlers<ThreadEvent, never>,
  plans: planKind.handlers satisfies EventHandlers<PlanEvent, never>,
  decisions: decisionKind.handlers satisfies EventHandlers<DecisionEvent, never>,
};

// What each map would meet if its union gained a member tomorrow:
type AgentRetired = { type: 'AgentRetired'; data: { agentId: string } };
type TaskArchived = { type: 'TaskArchived'; data: { taskId: string } };
type MessageRedacted = { type: 'MessageRedacted'; data: { messageId: string } };
type PlanArchived = { type: 'PlanArchived'; data: { planId: string } };
type DecisionWithdrawn = { type: 'DecisionWithdrawn'; data: { decisionId: string } };

// @ts-expect-error -- the agents projection has no handler for AgentRetired
export const agents: EventHandlers<AgentEvent | AgentRetired, never> = agentsHandlers;
// @ts-expect-error -- the tasks projection has no handler for TaskArchived
export const tasks: EventHandlers<TaskEvent | TaskArchived, never> = tasksHandlers;
// @ts-expect-error -- the messages projection has no handler for MessageRedacted
export const messages: EventHandlers<ThreadEvent | MessageRedacted, never> = messagesHandlers;
// @ts-expect-error -- the plans projection has no handler for PlanArchived
export const plans: EventHandlers<PlanEvent | PlanArchived, never> = planKind.handlers;
// @ts-expect-error -- the decisions projection has no handler for DecisionWithdrawn
export const decisions: EventHandlers<DecisionEvent | DecisionWithdrawn, never> = decisionKind.handlers;
