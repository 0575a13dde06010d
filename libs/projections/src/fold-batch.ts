import type { DomainEvent, Recorded } from './projection';

/**
 * The entities one batch touches, each folded event by event from its stored row (or from the start
 * state) with the aggregate's own `evolve`, so the read model cannot drift from the aggregate.
 */
export class FoldBatch<State, E extends DomainEvent> {
  readonly states = new Map<string, { state: State; revision: number }>();

  constructor(
    private readonly initialState: State,
    private readonly evolve: (state: State, event: E) => State,
  ) {}

  /** Starts an entity from its stored row. */
  load(id: string, state: State, revision: number) {
    this.states.set(id, { state, revision });
  }

  fold(id: string, event: Recorded<E>) {
    const current = this.states.get(id) ?? { state: this.initialState, revision: -1 };
    this.states.set(id, { state: this.evolve(current.state, { type: event.type, data: event.data } as E), revision: event.revision });
  }
}
