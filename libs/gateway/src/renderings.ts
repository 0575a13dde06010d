import { JsonText } from '@autocoder/messaging';

/**
 * What the gateway makes of an answer (a REST body, parsed rows), made once for each answer the
 * service keeps: a kept list is JSON text with the same tag on every request until the read model
 * changes (in process the same JsonText, over NATS a new one with the sender's tag; see
 * MessageBus.requestJson), and what the tag names cannot change, so neither can what is made of it.
 * An answer that arrives as a value (not JSON text) is rendered every time.
 *
 * Kept by tag, the least recently used going first: the service does not say when it stops keeping
 * an answer, so the bounds are the service's own (ListAnswers: 64 queries, 4 Mi characters).
 */
export class Renderings<R> {
  private readonly kept = new Map<string, { rendered: R; chars: number }>();
  private keptChars = 0;

  /** `shared`: the rendering will serve every request that gets the same answer. */
  constructor(
    private readonly render: (value: unknown, shared: boolean) => R,
    private readonly maxRenderings = 64,
    /** Of the answers' text, in characters; an answer longer than this is rendered every time. */
    private readonly maxChars = 4 * 1024 * 1024,
  ) {}

  of(answer: unknown): R {
    if (!(answer instanceof JsonText)) return this.render(answer, false);
    const kept = this.kept.get(answer.tag);
    if (kept) {
      this.kept.delete(answer.tag);
      this.kept.set(answer.tag, kept);
      return kept.rendered;
    }
    const chars = answer.text.length;
    if (chars > this.maxChars) return this.render(answer.parse(), false);
    const rendered = this.render(answer.parse(), true);
    this.kept.set(answer.tag, { rendered, chars });
    this.keptChars += chars;
    while (this.kept.size > this.maxRenderings || this.keptChars > this.maxChars) {
      const [oldest, { chars: dropped }] = this.kept.entries().next().value!;
      this.kept.delete(oldest);
      this.keptChars -= dropped;
    }
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
