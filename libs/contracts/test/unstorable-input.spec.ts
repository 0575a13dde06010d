import { z } from 'zod';
import { AutocoderError, ListMessagesInput, MAX_JSON_DEPTH, PostMessageInput, findUnstorable, parseInput } from '../src';

const deep = (depth: number) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe('input that Postgres could not store is refused by every service, whoever sends it', () => {
  it.each([
    ['a NUL in a value', { a: { b: ['ok', 'x\u0000'] } }, /^a\.b\.1$/, /NUL/],
    ['a NUL in a key', { a: { 'k\u0000': 1 } }, /^a$/, /keys must not contain a NUL/],
    ['a lone high surrogate', { s: 'x\ud83d' }, /^s$/, /lone surrogate/],
    ['a lone low surrogate', { s: '\ude00x' }, /^s$/, /lone surrogate/],
    ['nesting past the limit', { j: deep(MAX_JSON_DEPTH) }, /^j(\.0){63}$/, /more than 64 levels/],
  ])('finds %s', (_what, input, path, message) => {
    expect(findUnstorable(input)).toEqual({ path: expect.stringMatching(path), message: expect.stringMatching(message) });
  });

  it('accepts what can be stored: pairs of surrogates (emoji), 63 levels, every other character', () => {
    expect(findUnstorable({ s: 'smile \ud83d\ude00', t: '\u0001\u001f\ufffd', j: deep(MAX_JSON_DEPTH - 2) })).toBeNull();
  });

  it('walks a million levels without overflowing the stack', () => {
    expect(findUnstorable(deep(1_000_000))?.message).toMatch(/more than 64 levels/);
  });

  it('is part of parseInput, so a NATS caller gets VALIDATION_FAILED naming the field', () => {
    const schema = z.object({ title: z.string() });
    expect(() => parseInput(schema, { title: 'a\u0000b' }, 'plan')).toThrow(new AutocoderError('VALIDATION_FAILED', 'invalid plan: title: must not contain a NUL character (\\u0000)'));
    const post = { threadId: crypto.randomUUID(), senderId: crypto.randomUUID(), messageType: 'note', payload: { x: 'y\ud800' } };
    expect(() => parseInput(PostMessageInput, post, 'message')).toThrow(/payload\.x: must be well-formed Unicode/);
  });

  it('keeps timestamps within 1970..9999', () => {
    const since = (value: string) => ListMessagesInput.safeParse({ projectId: crypto.randomUUID(), since: value }).success;
    expect([since('0000-01-01T00:00:00Z'), since('1969-12-31T23:59:59Z'), since('1970-01-01T00:00:00Z'), since('9999-12-31T23:59:59Z')]).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
});
