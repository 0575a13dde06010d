// The code the mathlib script writes, one feature at a time: small, correct CommonJS with node:test
// tests (the project's package.json runs them with `node --test`).

export interface MathlibFeature {
  category: string;
  name: string;
  description: string;
  steps: string[];
  priority?: number;
  /** Positions (0-based) of the features in this list it depends on. */
  depends_on?: number[];
}

export interface SourceFile {
  path: string;
  content: string;
}

export const MATHLIB_PACKAGE_JSON = `${JSON.stringify({ name: 'mathlib', scripts: { test: 'node --test' } }, null, 2)}\n`;

export const MATHLIB_FEATURES: MathlibFeature[] = [
  {
    category: 'arithmetic',
    name: 'add and subtract',
    description: 'lib/arith.js exports add(a, b) and subtract(a, b).',
    steps: ['add(2, 3) is 5', 'subtract(5, 3) is 2'],
    priority: 1,
  },
  {
    category: 'arithmetic',
    name: 'multiply and divide',
    description: 'lib/muldiv.js exports multiply(a, b) and divide(a, b); divide by zero throws a RangeError.',
    steps: ['multiply(4, 3) is 12', 'divide(8, 2) is 4', 'divide(1, 0) throws RangeError "division by zero"'],
    priority: 2,
  },
  {
    category: 'statistics',
    name: 'mean and median',
    description: 'lib/stats.js exports mean(list) and median(list); an empty list throws a RangeError.',
    steps: ['mean([1, 2, 3, 4]) is 2.5', 'median([3, 1, 2]) is 2', 'median([4, 1, 3, 2]) is 2.5', 'mean([]) throws'],
    priority: 3,
  },
  {
    category: 'parsing',
    name: 'parse expressions',
    description: 'lib/parse.js exports parse(source), evaluating + - * / with precedence and parentheses using add/subtract/multiply/divide.',
    steps: ['parse("1 + 2 * 3") is 7', 'parse("(1 + 2) * 3") is 9', 'parse("1 +") throws a SyntaxError'],
    priority: 4,
    depends_on: [0, 1],
  },
];

const header = `'use strict';\n`;
const testHeader = `'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\n`;

/** Module and test for each feature, by feature name. */
export const MATHLIB_FILES: Record<string, { module: SourceFile; test: SourceFile }> = {
  'add and subtract': {
    module: {
      path: 'lib/arith.js',
      content: `${header}
function add(a, b) {
  return a + b;
}

function subtract(a, b) {
  return a - b;
}

module.exports = { add, subtract };
`,
    },
    test: {
      path: 'test/arith.test.js',
      content: `${testHeader}const { add, subtract } = require('../lib/arith');

test('add adds', () => {
  assert.equal(add(2, 3), 5);
  assert.equal(add(-1, 1), 0);
});

test('subtract subtracts', () => {
  assert.equal(subtract(5, 3), 2);
  assert.equal(subtract(3, 5), -2);
});
`,
    },
  },
  'multiply and divide': {
    module: {
      path: 'lib/muldiv.js',
      content: `${header}
function multiply(a, b) {
  return a * b;
}

function divide(a, b) {
  if (b === 0) throw new RangeError('division by zero');
  return a / b;
}

module.exports = { multiply, divide };
`,
    },
    test: {
      path: 'test/muldiv.test.js',
      content: `${testHeader}const { multiply, divide } = require('../lib/muldiv');

test('multiply multiplies', () => {
  assert.equal(multiply(4, 3), 12);
});

test('divide divides and refuses zero', () => {
  assert.equal(divide(8, 2), 4);
  assert.throws(() => divide(1, 0), { name: 'RangeError', message: 'division by zero' });
});
`,
    },
  },
  'mean and median': {
    module: {
      path: 'lib/stats.js',
      content: `${header}
function mean(list) {
  if (list.length === 0) throw new RangeError('mean of an empty list');
  return list.reduce((sum, x) => sum + x, 0) / list.length;
}

function median(list) {
  if (list.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

module.exports = { mean, median };
`,
    },
    test: {
      path: 'test/stats.test.js',
      content: `${testHeader}const { mean, median } = require('../lib/stats');

test('mean averages', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  assert.throws(() => mean([]), RangeError);
});

test('median takes the middle', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});
`,
    },
  },
  'parse expressions': {
    module: {
      path: 'lib/parse.js',
      content: `${header}const { add, subtract } = require('./arith');
const { multiply, divide } = require('./muldiv');

function parse(source) {
  const tokens = source.match(/\\d+(?:\\.\\d+)?|\\S/g) || [];
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];

  function primary() {
    const token = take();
    if (token === '(') {
      const value = sum();
      if (take() !== ')') throw new SyntaxError('expected )');
      return value;
    }
    if (token === '-') return -primary();
    if (token === undefined || !/^\\d/.test(token)) throw new SyntaxError('unexpected ' + (token === undefined ? 'end' : token));
    return Number(token);
  }

  function product() {
    let value = primary();
    while (peek() === '*' || peek() === '/') value = take() === '*' ? multiply(value, primary()) : divide(value, primary());
    return value;
  }

  function sum() {
    let value = product();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? add(value, product()) : subtract(value, product());
    return value;
  }

  const value = sum();
  if (at < tokens.length) throw new SyntaxError('unexpected ' + tokens[at]);
  return value;
}

module.exports = { parse };
`,
    },
    test: {
      path: 'test/parse.test.js',
      content: `${testHeader}const { parse } = require('../lib/parse');

test('parse respects precedence', () => {
  assert.equal(parse('1 + 2 * 3'), 7);
  assert.equal(parse('8 / 2 - 1'), 3);
});

test('parse handles parentheses and signs', () => {
  assert.equal(parse('(1 + 2) * 3'), 9);
  assert.equal(parse('-2 * 3'), -6);
});

test('parse refuses bad input', () => {
  assert.throws(() => parse('1 +'), SyntaxError);
  assert.throws(() => parse('1 / 0'), RangeError);
});
`,
    },
  },
};
