/**
 * deploy/prometheus/alerts.yaml against what payseal really exposes. Each rule's expression is parsed with the
 * Prometheus project's own PromQL grammar (@prometheus-io/lezer-promql); every payseal_* series it selects must
 * exist in the /metrics of a real `payseal serve` (started on an embedded store and given some traffic), with
 * the label names it matches or groups by, and, for the labels payseal defines (route, operation, outcome,
 * result, key_type), the very values it matches. kube_* series (kube-state-metrics) must name the objects in
 * deploy/kubernetes/. docs/OPERATIONS.md must mention every alert.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BIN, ROOT } from './support/cli.ts';
import { createTestStore, type TestStore } from './support/db.ts';

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { severity: string };
  readonly annotations: { summary: string };
}

const RULES: Rule[] = (YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const k8s = (file: string) => YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/kubernetes', file), 'utf8')) as { metadata: { name: string } };

/** kube-state-metrics series the rules may use, each with the label that names a payseal object. */
const EXTERNAL: Record<string, { label: string; names: () => string[] }> = {
  kube_deployment_status_replicas_available: { label: 'deployment', names: () => [k8s('deployment.yaml').metadata.name] },
  kube_horizontalpodautoscaler_status_current_replicas: { label: 'horizontalpodautoscaler', names: () => [k8s('horizontalpodautoscaler.yaml').metadata.name] },
  kube_horizontalpodautoscaler_spec_max_replicas: { label: 'horizontalpodautoscaler', names: () => [k8s('horizontalpodautoscaler.yaml').metadata.name] },
  // A CronJob's Jobs are named <cronjob>-<scheduled time in minutes>.
  kube_job_status_failed: { label: 'job_name', names: () => [`${k8s('cronjob-rotate-due.yaml').metadata.name}-29412345`] },
};
/** Labels whose values come from traffic (HTTP statuses), not from payseal's own vocabulary. */
const TRAFFIC_LABELS = new Set(['status']);

interface Matcher {
  readonly name: string;
  readonly op: string;
  readonly value: string;
}
interface Selector {
  readonly metric: string;
  readonly matchers: Matcher[];
}
interface Parsed {
  readonly errors: number;
  readonly selectors: Selector[];
  readonly grouping: string[];
}

function parsePromQL(expr: string): Parsed {
  const text = (from: number, to: number) => expr.slice(from, to);
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  let errors = 0;
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors++;
      if (node.name === 'GroupingLabels') for (const l of node.node.getChildren('LabelName')) grouping.push(text(l.from, l.to));
      if (node.name !== 'VectorSelector') return;
      const id = node.node.getChild('Identifier');
      const matchers = (node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => ({
        name: text(m.getChild('LabelName')!.from, m.getChild('LabelName')!.to),
        op: text(m.getChild('MatchOp')!.from, m.getChild('MatchOp')!.to),
        value: JSON.parse(text(m.getChild('StringLiteral')!.from, m.getChild('StringLiteral')!.to)) as string,
      }));
      selectors.push({ metric: id ? text(id.from, id.to) : '', matchers });
    },
  });
  return { errors, selectors, grouping };
}

/** Prometheus text exposition → sample name → label sets. */
function parseScrape(body: string): Map<string, Array<Record<string, string>>> {
  const out = new Map<string, Array<Record<string, string>>>();
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), labels]);
  }
  return out;
}

/** What is wrong with one rule's expression against a scrape (empty: nothing). */
function problems(expr: string, scrape: Map<string, Array<Record<string, string>>>): string[] {
  const parsed = parsePromQL(expr);
  const found: string[] = [];
  if (parsed.errors > 0) found.push('PromQL does not parse');
  const usedLabels = new Set<string>(['le']);
  for (const { metric, matchers } of parsed.selectors) {
    const external = EXTERNAL[metric];
    if (external) {
      for (const m of matchers.filter((x) => x.name === external.label)) {
        const re = m.op === '=~' ? new RegExp(`^(?:${m.value})$`) : null;
        if (!external.names().some((n) => (re ? re.test(n) : n === m.value))) found.push(`${metric}{${m.name}${m.op}"${m.value}"} names no payseal object`);
      }
      continue;
    }
    const samples = scrape.get(metric);
    if (!samples) {
      found.push(`${metric} is not exposed`);
      continue;
    }
    for (const s of samples) Object.keys(s).forEach((l) => usedLabels.add(l));
    for (const m of matchers) {
      if (!samples.some((s) => m.name in s)) found.push(`${metric} has no label ${m.name}`);
      if (m.op === '!=' || m.op === '!~') continue;
      const re = new RegExp(`^(?:${m.op === '=~' ? m.value : m.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})$`);
      if (TRAFFIC_LABELS.has(m.name)) {
        if (![...Array(500).keys()].some((i) => re.test(String(100 + i)))) found.push(`${m.name}${m.op}"${m.value}" matches no HTTP status`);
      } else if (!samples.some((s) => s[m.name] !== undefined && re.test(s[m.name]!))) {
        found.push(`${metric}{${m.name}${m.op}"${m.value}"} matches no series`);
      }
    }
  }
  for (const g of parsed.grouping) if (!usedLabels.has(g)) found.push(`grouping label ${g} is on none of the selected series`);
  return found;
}

// --- a real payseal serve with some traffic ---------------------------------------------------------------------
let store: TestStore;
let child: ChildProcess | null = null;
let scrape = new Map<string, Array<Record<string, string>>>();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  store = await createTestStore({ backend: 'embedded' });
  const port = await freePort();
  const token = `pst_${crypto.randomBytes(24).toString('base64url')}`;
  const env = { PATH: process.env.PATH ?? '', HOME: store.config.dataDir, PORT: String(port), PAYSEAL_DATA_DIR: store.config.dataDir, PAYSEAL_KEK: store.config.kekBase64!, PAYSEAL_ADMIN_TOKEN: token };
  child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const post = (route: string, body: unknown) =>
    fetch(`${base}${route}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const deadline = Date.now() + 60_000;
  while ((await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('payseal serve did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await post('/v1/keys', { name: 'alerts', type: 'ecdsa-p256' })).status).toBe(201);
  const { signature } = (await (await post('/v1/keys/alerts/sign', { input: 'aGVsbG8=' })).json()) as { signature: string };
  await post('/v1/keys/alerts/verify', { input: 'aGVsbG8=', signature });
  await post('/v1/keys/alerts/verify', { input: 'aGVsbG8h', signature });
  await post('/v1/keys/alerts/verify', { batch_input: [{ input: 'aGVsbG8=', signature: 'payseal:v9:AAAA' }] });
  await post('/v1/keys/alerts/sign', { input: 'aGVsbG8=', hash: 'md5' }); // an operation error
  await fetch(`${base}/v1/keys`, { headers: { authorization: 'Bearer pst_wrong' } });
  scrape = parseScrape(await (await fetch(`${base}/metrics`)).text());
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await store?.cleanup();
});

describe('deploy/prometheus/alerts.yaml', () => {
  it('has uniquely named rules, each with a severity and a summary', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(10);
    expect(new Set(RULES.map((r) => r.alert)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(20);
    }
  });

  it('every expression parses and selects only series payseal (or kube-state-metrics for its objects) exposes', () => {
    expect(scrape.size).toBeGreaterThan(10);
    for (const r of RULES) expect(problems(r.expr, scrape), r.alert).toEqual([]);
  });

  it('the checks are not a rubber stamp', () => {
    expect(problems('rate(payseal_http_requests_total[5m]', scrape)).toContain('PromQL does not parse');
    expect(problems('rate(payseal_http_request_total[5m]) > 0', scrape)).toEqual(['payseal_http_request_total is not exposed']);
    expect(problems('rate(payseal_http_requests_total{route="/v1/keys/:name/sing"}[5m]) > 0', scrape)).toHaveLength(1);
    expect(problems('sum by (key) (rate(payseal_operations_total{outcome="invalid"}[5m]))', scrape)).toEqual(['grouping label key is on none of the selected series']);
    expect(problems('kube_deployment_status_replicas_available{deployment="paysael"} < 2', scrape)).toHaveLength(1);
  });

  it('docs/OPERATIONS.md explains every alert', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
    for (const r of RULES) expect(doc, r.alert).toContain(r.alert);
  });
});
