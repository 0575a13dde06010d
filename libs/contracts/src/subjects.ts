/**
 * Every NATS subject, defined once. `cmd` subjects change state, `qry` subjects read it
 * (both request/reply, served by a queue group), `evt` subjects are broadcast notifications.
 */
export const Subjects = {
  coordinator: {
    registerAgent: 'coordinator.cmd.agent.register',
    recordAgentHeartbeat: 'coordinator.cmd.agent.heartbeat',
    rebuildProjections: 'coordinator.cmd.projections.rebuild',
    listAgents: 'coordinator.qry.agent.list',
    getAgent: 'coordinator.qry.agent.get',
    authenticateAgent: 'coordinator.qry.agent.authenticate',
  },
  notifications: {
    agentUpdated: 'coordinator.evt.agent.updated',
  },
} as const;

/** Queue groups: instances of one service share the requests addressed to it. */
export const QueueGroups = {
  coordinator: 'coordinator',
} as const;
