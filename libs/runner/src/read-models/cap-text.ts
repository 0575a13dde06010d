/** How much of a tool's content, a model's text or a prompt one timeline entry keeps. */
export const TIMELINE_TEXT_BYTES = 4096;

/**
 * The text if it fits in `maxBytes` of UTF-8; otherwise its head and its tail (where a command's
 * verdict usually is) around a note of what was left out. Cuts fall between characters.
 */
export function capText(text: string, maxBytes = TIMELINE_TEXT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const half = Math.floor(maxBytes / 2) - 32;
  let headEnd = half;
  while (headEnd > 0 && (bytes[headEnd] & 0xc0) === 0x80) headEnd--;
  let tailStart = bytes.length - half;
  while (tailStart < bytes.length && (bytes[tailStart] & 0xc0) === 0x80) tailStart++;
  const omitted = tailStart - headEnd;
  return `${bytes.subarray(0, headEnd).toString('utf8')}\n… [${omitted} bytes left out] …\n${bytes.subarray(tailStart).toString('utf8')}`;
}

/** A JSON value as it is if it serialises within `maxBytes`; otherwise a capped preview of its JSON. */
export function capJson(value: unknown, maxBytes = TIMELINE_TEXT_BYTES): unknown {
  const json = JSON.stringify(value) ?? 'null';
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes <= maxBytes ? value : { truncated: true, originalBytes: bytes, preview: capText(json, maxBytes) };
}

/** One line of at most `max` characters, for a log message. */
export const oneLine = (text: string, max = 200): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
};
