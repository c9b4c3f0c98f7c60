import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * `npx tsx bench/summarize-profile.ts <file.cpuprofile> [--top 25] [--from S --to S] [--stages]`: the functions with the
 * most self time in a V8 CPU profile (what `node --cpu-prof` writes; the bench sets it with
 * BENCH_PROFILE_DIR), as a short text table: share of the sampled time, milliseconds,
 * function and where it is. `--from`/`--to`: only the samples between those seconds of the
 * profile (e.g. the parking phase of bench:drain). `--stages`: also the busy time per stage, each sample
 * charged to the innermost frame whose file names one (kafkajs produce encoding, fetch decoding, the
 * dispatcher's match/live/deliver code, …; garbage collection on its own). Raw profiles are generated output: keep them in the git-ignored
 * bench/profiles/raw/ and commit only these summaries.
 */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: tsx bench/summarize-profile.ts <file.cpuprofile> [--top N]\n');
  process.exit(2);
}
const topIndex = process.argv.indexOf('--top');
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
const secondsArg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const fromUs = secondsArg('from', 0) * 1e6;
const toUs = secondsArg('to', Number.POSITIVE_INFINITY) * 1e6;
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
/** First match wins, from the sampled frame outwards. */
const stages: readonly (readonly [string, RegExp])[] = [
  // encoder.js is kafkajs' buffer writer (a zero-filled Buffer per record and header); produce requests are nearly all of its use.
  ['kafkajs: produce encoding', /kafkajs\/src\/(protocol\/requests\/produce|producer\/|protocol\/encoder|protocol\/recordBatch\/(v0\/index|record\/v0\/index|header\/v0\/index|crc32C))/],
  ['kafkajs: network', /kafkajs\/src\/network/],
  ['kafkajs: fetch decoding', /kafkajs\/src\/protocol\/(recordBatch|requests\/fetch|decoder)/],
  ['kafkajs: other', /kafkajs/],
  ['avsc', /avsc/], ['ioredis', /ioredis/], ['undici', /undici/], ['prom-client', /prom-client/],
  ['dispatcher match', /services\/dispatcher\/match|telemetry-rules|telemetry-decoder|webhook-body|field-reader/],
  ['delivery item codec', /delivery-item/],
  ['dispatcher deliver', /services\/dispatcher\/deliver|message-log|delivery-feed|endpoint-headers|webhook-signature/],
  ['dispatcher live', /services\/dispatcher\/live/], ['dispatcher intents', /services\/dispatcher\/intents/],
  ['dispatcher parking and retry', /services\/dispatcher\/(parking|retry)/], ['other fleethook code', /services\//],
];
const stageTotals = new Map<string, number>();
const stageOf = (id: number): string => {
  const leaf = byId.get(id)?.callFrame.functionName ?? '';
  if (leaf === '(garbage collector)' || leaf === '(program)') return leaf;
  for (let x: number | undefined = id; x !== undefined; x = parentOf.get(x)) {
    const url = byId.get(x)?.callFrame.url ?? '';
    for (const [name, re] of stages) if (re.test(url)) return name;
  }
  return 'node internals, no fleethook or library frame';
};
const selfUs = new Map<number, number>();
let atUs = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  atUs += delta;
  if (atUs < fromUs || atUs >= toUs) return;
  selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  if (byId.get(id)?.callFrame.functionName !== '(idle)') stageTotals.set(stageOf(id), (stageTotals.get(stageOf(id)) ?? 0) + delta);
});

const where = (url: string, line: number): string => {
  if (url === '') return '';
  const path = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url;
  return `${path.replace(/^.*node_modules\//, 'node_modules/')}:${line + 1}`;
};
const totals = new Map<string, number>();
let all = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (node === undefined) continue;
  all += us;
  const name = node.callFrame.functionName || '(anonymous)';
  if (name === '(idle)') idle += us;
  const key = `${name}  ${where(node.callFrame.url, node.callFrame.lineNumber)}`.trim();
  totals.set(key, (totals.get(key) ?? 0) + us);
}
const busy = all - idle;
const rows = [...totals].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top);
const window = fromUs > 0 || toUs < Number.POSITIVE_INFINITY ? ` (seconds ${fromUs / 1e6} to ${toUs / 1e6})` : '';
const out = [`profile ${relative(process.cwd(), file)}${window}: ${(all / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (not idle)`,
  'self % of busy | self ms | function  location'];
for (const [key, us] of rows) out.push(`${((100 * us) / busy).toFixed(1).padStart(5)} % | ${(us / 1e3).toFixed(0).padStart(7)} | ${key}`);
if (process.argv.includes('--stages')) {
  out.push('', 'busy % | busy ms | stage (each sample charged to its innermost frame in a known file)');
  for (const [name, us] of [...stageTotals].sort((a, b) => b[1] - a[1])) out.push(`${((100 * us) / busy).toFixed(1).padStart(5)} % | ${(us / 1e3).toFixed(0).padStart(7)} | ${name}`);
}
process.stdout.write(`${out.join('\n')}\n`);
