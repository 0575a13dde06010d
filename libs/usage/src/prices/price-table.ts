import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/** The five buckets a call is billed in, as picodollars per token (dollars per million tokens × 1e6). */
export interface BucketRates {
  input: bigint;
  cacheWrite5m: bigint;
  cacheWrite1h: bigint;
  cacheRead: bigint;
  output: bigint;
}

export interface RatePeriod extends BucketRates {
  /** UTC day from which the period applies (inclusive). */
  from: string;
  longContext: (BucketRates & { thresholdTokens: number }) | null;
}

export interface ModelPrices {
  id: string;
  patterns: RegExp[];
  /** Not found in the published sources: the file says what it assumes. */
  assumed: boolean;
  /** Sorted by `from`. */
  rates: RatePeriod[];
}

export interface PriceTable {
  version: number;
  effectiveFrom: string;
  fallback: BucketRates;
  models: ModelPrices[];
  /** Where the table was read from, for messages. */
  source: string;
}

const BUCKETS = ['input', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'output'] as const;
/** Dollars per million tokens with up to 6 decimals are a whole number of picodollars per token. */
const DOLLARS = /^\d{1,6}(\.\d{1,6})?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

type Path = (string | number)[];

/**
 * Reads a price file (YAML, so JSON too) into a table, or throws PRICE_TABLE_INVALID naming the file,
 * the line and the field that is wrong and what was expected there.
 */
export function parsePriceTable(text: string, source: string): PriceTable {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  if (doc.errors.length) {
    const error = doc.errors[0];
    throw invalid(source, lineOf(error.pos[0]), null, `${error.message.split('\n')[0]}`);
  }
  const fail = (path: Path, expected: string): never => {
    const node = nodeAt(doc, path);
    throw invalid(source, lineOf(node?.range?.[0]), path, expected);
  };
  const root = doc.toJS() as unknown;
  if (!isRecord(root)) return fail([], 'the file must be a mapping with version, fallback and models');

  const version = root.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) fail(['version'], 'a whole number from 1 up');
  const effectiveFrom = root.effectiveFrom === undefined ? '1970-01-01' : root.effectiveFrom;
  if (typeof effectiveFrom !== 'string' || !DAY.test(effectiveFrom)) fail(['effectiveFrom'], 'a day as YYYY-MM-DD');
  const fallback = bucketRates(root.fallback, ['fallback'], fail);
  if (!Array.isArray(root.models) || root.models.length === 0) fail(['models'], 'a list of models, each with id and rates');

  const seen = new Set<string>();
  const models = (root.models as unknown[]).map((entry, i): ModelPrices => {
    const at: Path = ['models', i];
    if (!isRecord(entry)) return fail(at, 'a mapping with id and rates');
    const id = entry.id;
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9.\-[\]]*$/.test(id)) fail([...at, 'id'], 'a model id of lower-case letters, digits, ".", "-" (e.g. claude-sonnet-5-5)');
    if (seen.has(id as string)) fail([...at, 'id'], `an id not listed before (${id} is listed twice)`);
    seen.add(id as string);
    const patterns = entry.patterns === undefined ? [] : entry.patterns;
    if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || !p)) fail([...at, 'patterns'], 'a list of globs such as claude-sonnet-5-5-*');
    if (entry.assumed !== undefined && typeof entry.assumed !== 'boolean') fail([...at, 'assumed'], 'true or false');
    if (!Array.isArray(entry.rates) || entry.rates.length === 0) fail([...at, 'rates'], 'a list of rate periods, each with from and the five bucket prices');
    const rates = (entry.rates as unknown[]).map((period, j) => ratePeriod(period, [...at, 'rates', j], fail));
    for (let j = 1; j < rates.length; j++) {
      if (rates[j].from <= rates[j - 1].from) fail([...at, 'rates', j, 'from'], `a day after the previous period's ${rates[j - 1].from}`);
    }
    return { id: id as string, patterns: derivedPatterns(id as string, patterns as string[]), assumed: entry.assumed === true, rates };
  });
  return { version: version as number, effectiveFrom: effectiveFrom as string, fallback, models, source };
}

type Fail = (path: Path, expected: string) => never;

function ratePeriod(value: unknown, at: Path, fail: Fail): RatePeriod {
  if (!isRecord(value)) return fail(at, 'a mapping with from and the five bucket prices');
  const from = value.from;
  if (typeof from !== 'string' || !DAY.test(from) || Number.isNaN(Date.parse(from))) fail([...at, 'from'], 'a day as YYYY-MM-DD');
  let longContext: RatePeriod['longContext'] = null;
  if (value.longContext !== undefined) {
    const lc = value.longContext;
    if (!isRecord(lc)) return fail([...at, 'longContext'], 'a mapping with thresholdTokens and the five bucket prices');
    const threshold = lc.thresholdTokens;
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1) fail([...at, 'longContext', 'thresholdTokens'], 'a whole number of tokens from 1 up');
    longContext = { ...bucketRates(lc, [...at, 'longContext'], fail, ['thresholdTokens']), thresholdTokens: threshold as number };
  }
  return { from: from as string, ...bucketRates(value, at, fail, ['from', 'longContext']), longContext };
}

function bucketRates(value: unknown, at: Path, fail: Fail, allowed: string[] = []): BucketRates {
  if (!isRecord(value)) return fail(at, `a mapping with ${BUCKETS.join(', ')}`);
  for (const key of Object.keys(value)) {
    if (!(BUCKETS as readonly string[]).includes(key) && !allowed.includes(key)) fail([...at, key], `one of ${[...BUCKETS, ...allowed].join(', ')} (unknown field ${key})`);
  }
  const rates = {} as BucketRates;
  for (const bucket of BUCKETS) {
    const raw = value[bucket];
    const text = typeof raw === 'number' ? String(raw) : raw;
    if (typeof text !== 'string' || !DOLLARS.test(text.trim())) {
      fail([...at, bucket], `dollars per million tokens, 0 or more with at most 6 decimals (e.g. '3' or '0.30'), got ${JSON.stringify(raw ?? null)}`);
    }
    rates[bucket] = picoPerToken(text as string);
  }
  return rates;
}

/** "$3.75 per million tokens" as picodollars per token: 3.75e12 / 1e6 = 3_750_000. */
const picoPerToken = (dollarsPerMillion: string): bigint => {
  const [whole, fraction = ''] = dollarsPerMillion.trim().split('.');
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Dated snapshots, `-latest` and `[1m]` of the id, and the file's own globs. */
function derivedPatterns(id: string, globs: string[]): RegExp[] {
  const base = escapeRegExp(id);
  return [
    new RegExp(`^${base}-\\d{8}$`),
    new RegExp(`^${base}-latest$`),
    new RegExp(`^${base}\\[1m\\]$`),
    ...globs.map((g) => new RegExp(`^${g.split('*').map(escapeRegExp).join('.*')}$`)),
  ];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The deepest node of the document on `path` (the field itself, or its parent when it is missing). */
function nodeAt(doc: Document, path: Path): Node | undefined {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) return node as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node)) {
      const item = node.items[key as number];
      if (!item) return node as Node;
      node = item;
    } else break;
  }
  return (node as Node | null) ?? undefined;
}

const describePath = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');

function invalid(source: string, line: number, path: Path | null, expected: string): AutocoderError {
  const field = path && path.length ? `, field ${describePath(path)}` : '';
  return new AutocoderError(ErrorCodes.PriceTableInvalid, `price file ${source} line ${line}${field}: expected ${expected}`);
}
