/**
 * Every NATS subject, defined once. `cmd` subjects change state, `qry` subjects read it
 * (both request/reply, served by a queue group), `evt` subjects are broadcast notifications.
 */
export const Subjects = {
  coordinator: {
    registerAgent: 'coordinator.cmd.agent.register',
    recordAgentHeartbeat: 'coordinator.cmd.agent.heartbeat',
    listAgents: 'coordinator.qry.agent.list',
    getAgent: 'coordinator.qry.agent.get',
    authenticateAgent: 'coordinator.qry.agent.authenticate',

    createTask: 'coordinator.cmd.task.create',
    claimTask: 'coordinator.cmd.task.claim',
    claimNextTask: 'coordinator.cmd.task.claim-next',
    heartbeatTask: 'coordinator.cmd.task.heartbeat',
    releaseTask: 'coordinator.cmd.task.release',
    changeTaskStatus: 'coordinator.cmd.task.status',
    listTasks: 'coordinator.qry.task.list',
    getTask: 'coordinator.qry.task.get',
    // The lease holder's own commands (the runner's workers): as the three above, fencing token required.
    holderHeartbeat: 'coordinator.cmd.task.holder.heartbeat',
    holderRelease: 'coordinator.cmd.task.holder.release',
    holderStatus: 'coordinator.cmd.task.holder.status',

    postMessage: 'coordinator.cmd.message.post',
    listMessages: 'coordinator.qry.message.list',

    createPlan: 'coordinator.cmd.plan.create',
    revisePlan: 'coordinator.cmd.plan.revise',
    listPlans: 'coordinator.qry.plan.list',
    getPlan: 'coordinator.qry.plan.get',
    recordDecision: 'coordinator.cmd.decision.record',
    reviseDecision: 'coordinator.cmd.decision.revise',
    listDecisions: 'coordinator.qry.decision.list',
    getDecision: 'coordinator.qry.decision.get',
  },
  runner: {
    registerProject: 'runner.cmd.project.register',
    updateProject: 'runner.cmd.project.update',
    syncFeatures: 'runner.cmd.project.sync-features',
    listProjects: 'runner.qry.project.list',
    getProject: 'runner.qry.project.get',
    listFeatures: 'runner.qry.feature.list',

    startRun: 'runner.cmd.run.start',
    pauseRun: 'runner.cmd.run.pause',
    resumeRun: 'runner.cmd.run.resume',
    stopRun: 'runner.cmd.run.stop',
    listRuns: 'runner.qry.run.list',
    getRun: 'runner.qry.run.get',
    listSessions: 'runner.qry.session.list',
    runTimeline: 'runner.qry.run.timeline',
    runLogs: 'runner.qry.run.logs',
  },
  usage: {
    projectUsage: 'usage.qry.project',
    allUsage: 'usage.qry.all',
    ledger: 'usage.qry.ledger',
    series: 'usage.qry.series',
    runCost: 'usage.qry.run-cost',
    estimate: 'usage.qry.estimate',
    budgets: 'usage.qry.budgets',
    setBudget: 'usage.cmd.budget.set',
    reserve: 'usage.cmd.budget.reserve',
    recost: 'usage.cmd.recost',
  },
  notifications: {
    agentUpdated: 'coordinator.evt.agent.updated',
    taskUpdated: 'coordinator.evt.task.updated',
    messagePosted: 'coordinator.evt.message.posted',
    /** A new entry of a run's timeline (RunTimelineEntry). */
    runTimeline: 'runner.evt.run.timeline',
    /** A run's view once it changed (RunView): the gateway wakes the run's streams and pushes runUpdated. */
    runUpdated: 'runner.evt.run.updated',
    /** A feature's view once it changed (FeatureView): GraphQL's featureUpdated(projectId). */
    featureUpdated: 'runner.evt.feature.updated',
    /** A project's usage totals moved (UsageUpdated): the live cost badge. */
    usageUpdated: 'usage.evt.usage.updated',
    /** A budget passed its soft threshold or was exhausted (BudgetView). */
    budgetAlert: 'usage.evt.budget.alert',
  },
} as const;
