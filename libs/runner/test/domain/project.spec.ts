import type { FeatureStatusChanged, ProjectEvent, ProjectRegistered } from '@autocoder/contracts';
import { deciderSpec } from '@autocoder/testing';
import { featureIdOf, projectDecider, unblockedFeatures, type ExistingProject } from '../../src/projects/project';

const now = '2026-12-01T12:00:00.000Z';
const projectId = '0b3f3a52-7b6e-4c0e-9f55-1f0c7a4b2d10';
const given = deciderSpec(projectDecider);
const registered: ProjectRegistered = {
  type: 'ProjectRegistered',
  data: { projectId, name: 'mathlib', spec: 'a math library', workspace: { path: '/tmp/p', repositoryUrl: null }, network: false, registeredAt: now },
};
const f = (i: number) => featureIdOf(projectId, i);
const draft = (name: string, dependsOn: number[] = []) => ({ category: 'core', name, description: `${name} works`, steps: [`call ${name}`], dependsOn });
const defined: ProjectEvent = {
  type: 'FeaturesDefined',
  data: {
    projectId,
    source: 'initializer',
    sessionId: null,
    definedAt: now,
    features: [
      { featureId: f(0), index: 0, category: 'core', name: 'add', description: 'add works', steps: ['call add'], priority: 0, dependsOn: [] },
      { featureId: f(1), index: 1, category: 'core', name: 'parse', description: 'parse works', steps: ['call parse'], priority: 1, dependsOn: [f(0)] },
    ],
  },
};
const change = (featureId: string, to: FeatureStatusChanged['data']['to'], reason: string | null = null) => ({
  type: 'ChangeFeatureStatus' as const,
  data: { featureId, to, reason, evidence: null, yolo: false, runId: null, sessionId: null, now },
});

describe('project decider', () => {
  it('defines features with ids from the position and dependencies by position', () => {
    given(registered).when({ type: 'DefineFeatures', data: { features: [draft('add'), draft('parse', [0])], source: 'initializer', sessionId: null, now } }).then([defined]);
  });

  it('appends later features after the existing ones, never renumbering them', () => {
    const [event] = projectDecider.decide({ type: 'DefineFeatures', data: { features: [draft('mean')], source: 'sync', sessionId: null, now } }, [registered, defined].reduce(projectDecider.evolve, projectDecider.initialState));
    expect(event).toMatchObject({ data: { features: [{ featureId: f(2), index: 2, name: 'mean' }] } });
  });

  it('refuses dependencies outside the list, on itself, or in a cycle, naming the position', () => {
    const define = (features: ReturnType<typeof draft>[]) => ({ type: 'DefineFeatures' as const, data: { features, source: 'initializer' as const, sessionId: null, now } });
    given(registered).when(define([draft('a', [3])])).thenFails('VALIDATION_FAILED', /features\.0\.depends_on: 3 is not a position in this list \(0 to 0\)/);
    given(registered).when(define([draft('a', [0])])).thenFails('VALIDATION_FAILED', /cannot depend on itself/);
    given(registered).when(define([draft('a', [1]), draft('b', [0])])).thenFails('VALIDATION_FAILED', /cycle through positions 0 -> 1 -> 0/);
    given(registered).when(define([])).thenFails('VALIDATION_FAILED', /at least one feature/);
  });

  it('changes only a status, along the allowed moves, and a failing or skipped one needs a reason', () => {
    given(registered, defined).when(change(f(0), 'passing')).then([
      { type: 'FeatureStatusChanged', data: { projectId, featureId: f(0), from: 'pending', to: 'passing', reason: null, evidence: null, yolo: false, runId: null, sessionId: null, changedAt: now } },
    ]);
    given(registered, defined).when(change(f(0), 'pending')).then([]);
    given(registered, defined).when(change(f(0), 'failing')).thenFails('VALIDATION_FAILED', /needs a reason/);
    const passed = projectDecider.decide(change(f(0), 'passing'), [registered, defined].reduce(projectDecider.evolve, projectDecider.initialState))[0];
    given(registered, defined, passed).when(change(f(0), 'skipped', 'no')).thenFails('INVALID_TRANSITION', /is passing; it can become failing, in_progress, not skipped/);
    given(registered, defined).when(change('7d1c5a2e-0000-4000-8000-000000000000', 'passing')).thenFails('NOT_FOUND', /is not a feature of project/);
  });

  it('unblocks a feature once its dependencies pass', () => {
    const state = (...events: ProjectEvent[]) => [registered, defined, ...events].reduce(projectDecider.evolve, projectDecider.initialState) as ExistingProject;
    expect(unblockedFeatures(state()).map((x) => x.name)).toEqual(['add']);
    const passed = projectDecider.decide(change(f(0), 'passing'), state())[0];
    expect(unblockedFeatures(state(passed)).map((x) => x.name)).toEqual(['add', 'parse']);
  });
});
