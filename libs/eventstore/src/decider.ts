/**
 * An aggregate as two pure functions and a start state: `decide` turns a command and the current
 * state into new events (or throws a typed error), `evolve` folds one event into the state.
 */
export interface Decider<Command, Event extends { type: string; data: unknown }, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}
