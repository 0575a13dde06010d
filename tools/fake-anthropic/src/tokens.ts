// A deterministic token estimate: about four characters a token, of a block's canonical JSON. Real
// counts differ; what matters to tests is that the same content always counts the same.

/** JSON with keys sorted, so equal content gives equal text (and equal hashes) whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function tokensOfText(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Tokens of one block, not counting its cache_control (a marker, not content). */
export function tokensOfBlock(block: unknown): number {
  return tokensOfText(canonicalJson(withoutCacheControl(block)));
}

export function withoutCacheControl(block: unknown): unknown {
  if (block === null || typeof block !== 'object' || Array.isArray(block)) return block;
  const { cache_control: _ignored, ...rest } = block as Record<string, unknown>;
  return rest;
}
