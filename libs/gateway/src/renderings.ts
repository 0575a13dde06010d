import { JsonText } from '@autocoder/messaging';

/**
 * What the gateway makes of an answer (a REST body, parsed rows), made once for each answer the
 * service keeps: a kept list is the same JsonText on every request until the read model changes (in
 * process; see MessageBus.requestJson), and a JsonText cannot change, so neither can what is made of it.
 * An answer that arrives as a value (over NATS, or not JSON text) is rendered every time.
 */
export class Renderings<R> {
  private readonly kept = new WeakMap<JsonText<unknown>, R>();

  /** `shared`: the rendering will serve every request that gets the same answer. */
  constructor(private readonly render: (value: unknown, shared: boolean) => R) {}

  of(answer: unknown): R {
    if (!(answer instanceof JsonText)) return this.render(answer, false);
    let rendered = this.kept.get(answer);
    if (rendered === undefined) this.kept.set(answer, (rendered = this.render(answer.parse(), true)));
    return rendered;
  }
}

/** A kept list parsed once; its rows are shared, frozen, by every request that reads that list. */
export const sharedRows = <T>() => new Renderings<T[]>((rows, shared) => (shared ? deepFreeze(rows as T[]) : (rows as T[])));

/** Shared between requests, so frozen: a resolver that changed a kept row would fail loudly instead of changing others' answers. */
export const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
};
