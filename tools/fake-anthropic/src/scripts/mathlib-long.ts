// mathlib-long: the same two agents, but each coding session looks around for 22 turns (listing,
// reading, searching) before it writes: about 30 model calls on a growing conversation, for the
// prompt-cache benchmark.
import { type AssistantTurn, text, toolUse } from '../script';
import { mathlibBook, mathlibCoding } from './mathlib';

const LOOKS: Array<[string, Record<string, unknown>]> = [
  ['list_files', {}],
  ['read_file', { path: 'package.json' }],
  ['list_files', { path: 'lib' }],
  ['list_files', { path: 'test' }],
  ['search_files', { pattern: 'module.exports' }],
  ['search_files', { pattern: 'require\\(', path: 'lib' }],
  ['feature_get_stats', {}],
  ['read_file', { path: 'lib/arith.js' }],
  ['read_file', { path: 'lib/muldiv.js' }],
  ['read_file', { path: 'lib/stats.js' }],
  ['read_file', { path: 'test/arith.test.js' }],
  ['read_file', { path: 'test/muldiv.test.js' }],
  ['read_file', { path: 'test/stats.test.js' }],
  ['search_files', { pattern: 'RangeError' }],
  ['search_files', { pattern: 'node:test', path: 'test' }],
  ['bash', { command: 'node --version' }],
  ['bash', { command: 'ls -la' }],
  ['list_files', { path: '.' }],
  ['read_file', { path: 'README.md' }],
  ['search_files', { pattern: 'TODO' }],
  ['bash', { command: 'node --test' }],
  ['read_file', { path: 'package.json' }],
];

const explore: AssistantTurn[] = LOOKS.map(([name, input], i) => ({ content: [text(`Looking around (${i + 1}/${LOOKS.length}).`), toolUse(name, input)] }));

export const mathlibLong = mathlibBook(mathlibCoding(explore));
