/**
 * The top frames of a V8 CPU profile (`node --cpu-prof`, e.g. a bench run with BENCH_CPU_PROF=<dir>):
 *
 *   node -r @swc-node/register tools/bench/src/profile-top.ts <file.cpuprofile> [rows=30] [last-seconds]
 *
 * With `last-seconds`, only the samples of the profile's last that many seconds count (a bench's
 * measured phase comes last, after start-up and filling).
 * Prints self time by function and by package (node_modules/<name>, the repo's libs/<name>, node
 * internals), and inclusive ("total") time by function, so both hot leaves and costly callers show.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const where = (url: string) => {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const lib = /\/(libs|apps|tools)\/([^/]+)\//.exec(url);
  if (lib) return `${lib[1]}/${lib[2]}`;
  if (url.startsWith('node:') || url === '') return url || '(native)';
  return url.replace(/^file:\/\//, '');
};

export function topFrames(profile: Profile, rows = 30, lastSeconds = Infinity): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // time per sample, attributed to the sampled node
  const selfMs = new Map<number, number>();
  const at: number[] = [];
  profile.timeDeltas.reduce((t, d, i) => (at[i] = t + d), 0);
  const from = (at[at.length - 1] ?? 0) - lastSeconds * 1e6;
  profile.samples.forEach((id, i) => {
    if (at[i] >= from) selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const label = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url ? `${where(f.url)}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${file}`.trim();
  };
  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of selfMs) {
    const n = byId.get(id)!;
    self.set(label(n), (self.get(label(n)) ?? 0) + t);
    pkg.set(where(n.callFrame.url), (pkg.get(where(n.callFrame.url)) ?? 0) + t);
    // inclusive: once per distinct label on the stack
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + t);
    }
  }
  const table = (title: string, m: Map<string, number>) =>
    [
      `${title}`,
      ...[...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, rows)
        .map(([k, t]) => `  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${t.toFixed(0).padStart(7)} ms  ${k}`),
    ].join('\n');
  return [
    `total ${total.toFixed(0)} ms${Number.isFinite(lastSeconds) ? ` (the last ${lastSeconds} s)` : ''}`,
    table('self time by function', self),
    table('self time by package', pkg),
    table('total time by function', inclusive),
  ].join('\n\n');
}

if (require.main === module) {
  const [file, rows, last] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-top.ts <file.cpuprofile> [rows]');
    process.exit(2);
  }
  console.log(topFrames(JSON.parse(readFileSync(file, 'utf8')) as Profile, rows ? Number(rows) : 30, last ? Number(last) : Infinity));
}
