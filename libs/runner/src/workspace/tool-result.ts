/** What every workspace tool answers: text for the model, an error flag instead of a throw. */
export interface ToolResult {
  isError: boolean;
  content: string;
  /** Size of the full output in bytes (UTF-8) before it was capped. */
  originalBytes: number;
  truncated: boolean;
}

/** Characters of output a tool hands back to the model at most. */
export const OUTPUT_CAP_CHARS = 20_000;

export const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Keeps the head of the text (a file is read from its start) and says what was left off. */
export function capHead(text: string, cap = OUTPUT_CAP_CHARS): { text: string; truncated: boolean } {
  if (text.length <= cap) return { text, truncated: false };
  return { text: `${text.slice(0, cap)}\n… [truncated: ${text.length - cap} more characters]`, truncated: true };
}

/** Keeps the tail of the text (a command's last lines say how it ended). */
export function capTail(text: string, cap: number): { text: string; truncated: boolean } {
  if (text.length <= cap) return { text, truncated: false };
  return { text: `[truncated: ${text.length - cap} earlier characters] …\n${text.slice(-cap)}`, truncated: true };
}

export const ok = (content: string, originalBytes = byteLength(content), truncated = false): ToolResult => ({
  isError: false,
  content,
  originalBytes,
  truncated,
});

export const toolError = (message: string): ToolResult => ({
  isError: true,
  content: message,
  originalBytes: byteLength(message),
  truncated: false,
});

/** A JSON list cut at whole entries so it stays valid JSON; the last entry says how many were left off. */
export function capJsonList<T>(items: readonly T[], total: number, cap = OUTPUT_CAP_CHARS): ToolResult {
  const full = JSON.stringify(items);
  const originalBytes = byteLength(full);
  if (full.length <= cap && total === items.length) return ok(full, originalBytes);
  const kept: unknown[] = [];
  let size = 2;
  for (const item of items) {
    const entry = JSON.stringify(item).length + 1;
    if (size + entry > cap - 200) break;
    kept.push(item);
    size += entry;
  }
  kept.push(`… ${total - kept.length} more not shown; narrow the path or the pattern`);
  return { isError: false, content: JSON.stringify(kept), originalBytes, truncated: true };
}
