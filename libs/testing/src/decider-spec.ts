import { AutocoderError } from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

/**
 * given events / when command / then events (or a typed error), for any decider:
 * `deciderSpec(agentDecider)(registered).when(heartbeat).then([...])`.
 */
export const deciderSpec =
  <C, E extends { type: string; data: unknown }, S>(decider: Decider<C, E, S>) =>
  (...events: E[]) => ({
    when: (command: C) => {
      const state = events.reduce(decider.evolve, decider.initialState);
      const run = () => decider.decide(command, state);
      return {
        then: (expected: E[]) => expect(run()).toEqual(expected),
        thenFails: (code: string, message?: RegExp): AutocoderError => {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(AutocoderError);
          expect(thrown).toMatchObject({ code });
          if (message) expect((thrown as Error).message).toMatch(message);
          return thrown as AutocoderError;
        },
      };
    },
  });
