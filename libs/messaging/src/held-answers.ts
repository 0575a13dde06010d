import type { JsonText } from './reply';

/**
 * The JSON text answers a caller holds, by query, the least recently used going first: the bus
 * names the one it holds when it asks again (`hasAnswer`), so a service that still has that answer
 * sends its tag instead of the text. Bounded like the services' own kept answers (ListAnswers).
 */
export class HeldAnswers {
  private readonly held = new Map<string, JsonText<unknown>>();
  private heldChars = 0;

  constructor(
    private readonly maxAnswers = 256,
    /** In characters of text; a longer answer is not held. */
    private readonly maxChars = 16 * 1024 * 1024,
  ) {}

  get(key: string): JsonText<unknown> | undefined {
    const answer = this.held.get(key);
    if (answer) {
      this.held.delete(key);
      this.held.set(key, answer);
    }
    return answer;
  }

  set(key: string, answer: JsonText<unknown>) {
    this.forget(key);
    if (answer.text.length > this.maxChars) return;
    this.held.set(key, answer);
    this.heldChars += answer.text.length;
    while (this.held.size > this.maxAnswers || this.heldChars > this.maxChars) this.forget(this.held.keys().next().value!);
  }

  forget(key: string) {
    const answer = this.held.get(key);
    if (!answer) return;
    this.held.delete(key);
    this.heldChars -= answer.text.length;
  }
}
