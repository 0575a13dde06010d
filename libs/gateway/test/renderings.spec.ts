import { JsonText } from '@autocoder/messaging';
import { Renderings, sharedRows } from '../src/renderings';

describe('Renderings', () => {
  const counting = (maxRenderings?: number, maxChars?: number) => {
    const made: unknown[] = [];
    const renderings = new Renderings((value, shared) => (made.push(value), { value, shared }), maxRenderings, maxChars);
    return { renderings, made };
  };

  it('renders a kept answer once for its tag, whichever JsonText brings it (over NATS each reply is a new one)', () => {
    const { renderings, made } = counting();
    const sent = new JsonText<number[]>('[1, 2]', 'agents@7');
    const first = renderings.of(sent);
    expect(first).toEqual({ value: [1, 2], shared: true });
    expect(renderings.of(new JsonText<number[]>('[1, 2]', 'agents@7'))).toBe(first);
    expect(renderings.of(sent)).toBe(first);
    expect(made).toHaveLength(1);
    // A new tag is a new answer, even with the same text.
    expect(renderings.of(new JsonText<number[]>('[1, 2]', 'agents@8'))).not.toBe(first);
    expect(made).toHaveLength(2);
  });

  it('renders an answer that is not JSON text every time, unshared', () => {
    const { renderings, made } = counting();
    const value = [1, 2];
    expect(renderings.of(value)).toEqual({ value, shared: false });
    renderings.of(value);
    expect(made).toHaveLength(2);
  });

  it('keeps at most as many renderings and as much text as it is told, the least recently used going first', () => {
    const { renderings, made } = counting(2, 10);
    const a = new JsonText('[1]', 'a');
    const b = new JsonText('[2]', 'b');
    renderings.of(a);
    renderings.of(b);
    renderings.of(a); // a used last: b goes first
    renderings.of(new JsonText('[3]', 'c'));
    expect(made).toHaveLength(3);
    renderings.of(a);
    expect(made).toHaveLength(3);
    renderings.of(b);
    expect(made).toHaveLength(4);
    // Longer than all the text it keeps: rendered, unshared, every time.
    const long = new JsonText('[1,2,3,4,5,6]', 'long');
    expect(renderings.of(long)).toMatchObject({ shared: false });
    renderings.of(long);
    expect(made).toHaveLength(6);
  });

  it('sharedRows parses a kept list once and freezes it, for every request that reads it', () => {
    const rows = sharedRows<{ n: number }>();
    const first = rows.of(new JsonText('[{"n": 1}]', 'tasks@1'));
    expect(rows.of(new JsonText('[{"n": 1}]', 'tasks@1'))).toBe(first);
    expect(Object.isFrozen(first[0])).toBe(true);
  });
});
