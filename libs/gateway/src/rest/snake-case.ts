/** The seed's REST payloads are snake_case; the contracts are camelCase. Only top-level keys are renamed. */
export const toCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export const camelKeys = (value: unknown): unknown =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [toCamel(k), v]))
    : value;

export const snakeKeys = (value: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).map(([k, v]) => [toSnake(k), v]));

/** Names a field in an error the way the REST caller spelled it: `employeeId.x` -> `employee_id.x`. */
export const snakePath = (path: string) => {
  const [head, ...rest] = path.split('.');
  return [toSnake(head), ...rest].join('.');
};
