/** The seed's REST payloads are snake_case; the contracts are camelCase. Only top-level keys are renamed. */
export const toCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export const camelKeys = (value: unknown): unknown =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [toCamel(k), v]))
    : value;

/** The views' field names, renamed once: a list renames the same dozen keys on every row. Bounded, in case. */
const snakeNames = new Map<string, string>();
const snakeName = (key: string) => {
  let name = snakeNames.get(key);
  if (name === undefined) {
    if (snakeNames.size >= 1000) snakeNames.clear();
    snakeNames.set(key, (name = toSnake(key)));
  }
  return name;
};

/** A new object with the top-level keys renamed; the values are shared, not copied. */
export const snakeKeys = (value: object): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  const from = value as Record<string, unknown>;
  for (const key of Object.keys(from)) {
    const name = snakeName(key);
    if (name === '__proto__') Object.defineProperty(out, name, { value: from[key], enumerable: true, writable: true, configurable: true });
    else out[name] = from[key];
  }
  return out;
};

/** Names a field in an error the way the REST caller spelled it: `employeeId.x` -> `employee_id.x`. */
export const snakePath = (path: string) => {
  const [head, ...rest] = path.split('.');
  return [toSnake(head), ...rest].join('.');
};
