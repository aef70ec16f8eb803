/**
 * deploy/kubernetes/ against the Kubernetes API schemas, with no cluster. kubernetes-models (pinned in
 * devDependencies) ships, per kind, the API's JSON schema compiled with ajv (`validate()`) and a TypeScript
 * interface generated from the same OpenAPI document. The schemas allow unknown fields (as the API's OpenAPI
 * does), so a misspelt `readinesProbe` would pass them; the interfaces close that gap: each object is also
 * type-checked as a literal of its kind's interface, where an unknown field is an error (what kubeconform
 * -strict or a server-side `--validate=strict` would say). YAML is read as YAML 1.1, as kubectl reads it
 * (`0440` is octal). Then the rules the deployment relies on: the kustomization lists every file, the probes,
 * a non-root read-only container matching the image's USER and EXPOSE, the autoscaler, the PDB, the
 * NetworkPolicy's reach, the rotation CronJob's command inside the image.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerfileParser, From } from 'dockerfile-ast';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT } from './support/cli.ts';

/** Parsed YAML: shapes are checked by the schemas, so the rules below read it loosely. */
type Obj = Record<string, any>;

interface Manifest {
  readonly file: string;
  readonly doc: Obj;
}

const DIR = path.join(ROOT, 'deploy/kubernetes');
const KUSTOMIZATION = 'kustomization.yaml';
const FILES = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION).sort();

function parse(file: string): Obj[] {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'), { version: '1.1' });
  for (const d of docs) expect(d.errors, file).toEqual([]);
  return docs.map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

const MANIFESTS: Manifest[] = FILES.flatMap((file) => parse(file).map((doc) => ({ file, doc })));
const kind = (k: string): Obj[] => MANIFESTS.filter((m) => m.doc.kind === k).map((m) => m.doc);
const only = (k: string): Obj => {
  const found = kind(k);
  expect(found, k).toHaveLength(1);
  return found[0]!;
};

/** kubernetes-models' module for an object: kubernetes-models/<group>/<version>/<Kind> (core: v1/<Kind>). */
const modelPath = (doc: Obj): string => `kubernetes-models/${doc.apiVersion}/${doc.kind}`;

async function schemaErrors(doc: Obj): Promise<string | null> {
  const mod = (await import(modelPath(doc))) as Record<string, new (data: Obj) => { validate(): void }>;
  const Model = mod[doc.kind];
  if (!Model) return `no model for ${doc.apiVersion} ${doc.kind}`;
  try {
    new Model(doc).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Type-checks each object as a literal of its kind's interface (I<Kind>); returns tsc's diagnostics. */
function strictErrors(docs: Obj[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-k8s-strict-'));
  scratch.push(dir);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const lines = docs.flatMap((doc, i) => [
    `import type { I${doc.kind} as T${i} } from ${JSON.stringify(modelPath(doc))};`,
    `export const o${i}: T${i} = ${JSON.stringify(doc, null, 1)};`,
  ]);
  fs.writeFileSync(path.join(dir, 'manifests.ts'), lines.join('\n') + '\n');
  const options = { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, types: [] };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['manifests.ts'] }));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? '' : r.stdout + r.stderr;
}

const clone = (o: Obj): Obj => structuredClone(o);
const podSpecs = (): Array<{ owner: string; labels: Obj; spec: Obj }> => [
  ...kind('Deployment').map((d) => ({ owner: `Deployment/${d.metadata.name}`, labels: d.spec.template.metadata.labels, spec: d.spec.template.spec })),
  ...kind('CronJob').map((c) => ({ owner: `CronJob/${c.metadata.name}`, labels: c.spec.jobTemplate.spec.template.metadata.labels, spec: c.spec.jobTemplate.spec.template.spec })),
];
const matches = (selector: Obj, labels: Obj): boolean => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

// The image these manifests run (Dockerfile, last stage).
const image = (() => {
  let stage: Array<{ keyword: string; args: string }> = [];
  for (const ins of DockerfileParser.parse(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).getInstructions()) {
    if (ins instanceof From) stage = [];
    else stage.push({ keyword: ins.getKeyword(), args: ins.getArgumentsContent() ?? '' });
  }
  const last = (k: string) => stage.filter((i) => i.keyword === k).at(-1)!.args.trim();
  const workdir = stage.filter((i) => i.keyword === 'WORKDIR').reduce((w, i) => path.posix.resolve(w, i.args.trim()), '/');
  const copiedTo = stage.filter((i) => i.keyword === 'COPY').map((i) => path.posix.resolve(workdir, i.args.trim().split(/\s+/).at(-1)!));
  return { uid: Number(last('USER').split(':')[0]), port: Number(last('EXPOSE')), copiedTo };
})();

describe('deploy/kubernetes against the Kubernetes schemas', () => {
  it('holds the kinds the deployment needs, one object per file', () => {
    expect(MANIFESTS.map((m) => m.doc.kind).sort()).toEqual(
      ['CronJob', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount'].sort(),
    );
    expect(new Set(MANIFESTS.map((m) => m.file)).size).toBe(MANIFESTS.length);
  });

  it('every object validates against its API schema', async () => {
    for (const m of MANIFESTS) expect(await schemaErrors(m.doc), `${m.file}: ${m.doc.kind}`).toBeNull();
  });

  it('no object has a field its kind does not define', () => {
    expect(strictErrors(MANIFESTS.map((m) => m.doc))).toBe('');
  });

  it('the checks are not a rubber stamp: a wrong type, a missing field and a misspelt field are each caught', async () => {
    const wrongType = clone(only('Deployment'));
    wrongType.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(await schemaErrors(wrongType)).toMatch(/containerPort must be integer/);
    const missing = clone(only('HorizontalPodAutoscaler'));
    delete missing.spec.scaleTargetRef;
    expect(await schemaErrors(missing)).toMatch(/scaleTargetRef/);
    const misspelt = clone(only('Deployment'));
    const container = misspelt.spec.template.spec.containers[0];
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    expect(await schemaErrors(misspelt)).toBeNull();
    expect(strictErrors([misspelt])).toMatch(/'"readinesProbe"' does not exist in type 'IContainer'/);
  });
});

describe('kustomization.yaml', () => {
  const k = parse(KUSTOMIZATION)[0]!;

  it('lists every manifest file exactly once and nothing else', () => {
    expect(k).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' });
    expect([...k.resources].sort()).toEqual(FILES);
    expect(new Set(k.resources).size).toBe(k.resources.length);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!kubectl)('builds with `kubectl kustomize` into the same objects (kubectl on the PATH)', () => {
    const r = spawnSync('kubectl', ['kustomize', DIR], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const built = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    const names = (docs: Obj[]) => docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    expect(names(built)).toEqual(names(MANIFESTS.map((m) => m.doc)));
    for (const d of built.filter((b) => b.kind === 'Deployment' || b.kind === 'CronJob')) expect(JSON.stringify(d)).toMatch(/"image":"payseal:\d+\.\d+\.\d+"/);
  });
});

describe('what the deployment relies on', () => {
  const deployment = only('Deployment');
  const container = deployment.spec.template.spec.containers[0];

  it('probes: startup and liveness on /healthz, readiness on /readyz, on the port the image exposes', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: image.port, protocol: 'TCP' }]);
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('every pod runs as the image user, non-root, read-only root, no privilege escalation, no capabilities, no API token', () => {
    expect(podSpecs()).toHaveLength(2);
    for (const { owner, spec } of podSpecs()) {
      expect(spec.securityContext, owner).toMatchObject({ runAsNonRoot: true, runAsUser: image.uid, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.automountServiceAccountToken, owner).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext, owner).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        // Nothing writable is mounted: with DATABASE_URL payseal needs none (test/deploy-image.test.ts).
        for (const mount of c.volumeMounts ?? []) expect(mount.readOnly, `${owner} ${mount.mountPath}`).toBe(true);
        // The KEK comes from a mounted secret file readable by the pod's group (fsGroup), never from a literal.
        const kekFile = c.env.find((e: Obj) => e.name === 'PAYSEAL_KEK_FILE')?.value as string;
        const kekMount = c.volumeMounts.find((mnt: Obj) => kekFile.startsWith(mnt.mountPath + '/'));
        expect(kekMount, owner).toBeDefined();
        const volume = spec.volumes.find((v: Obj) => v.name === kekMount.name);
        expect(volume.secret).toEqual({ secretName: 'payseal-kek', defaultMode: 0o440 });
        expect(spec.securityContext.fsGroup).toBe(image.uid);
        // Secrets come from Secrets (envFrom, valueFrom), never as literal values in a manifest.
        for (const e of c.env) if (/KEK|TOKEN|DATABASE_URL/.test(e.name) && e.name !== 'PAYSEAL_KEK_FILE') expect(e.value, `${owner} ${e.name}`).toBeUndefined();
      }
    }
  });

  it('the autoscaler owns the replica count, scales on CPU against a CPU request, and stays above the PDB', () => {
    const hpa = only('HorizontalPodAutoscaler');
    const pdb = only('PodDisruptionBudget');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    expect(container.resources.requests.cpu).toBeDefined();
    expect(deployment.spec.replicas).toBeUndefined();
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.minAvailable);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('the Service reaches the Deployment pods only, not the rotation job', () => {
    const service = only('Service');
    expect(matches(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
    for (const { owner, labels } of podSpecs().filter((p) => p.owner.startsWith('CronJob'))) expect(matches(service.spec.selector, labels), owner).toBe(false);
    expect(service.spec.ports).toEqual([{ name: 'http', port: image.port, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('the rotation CronJob runs rotate-due.sh where the image puts it, one at a time, failing loudly', () => {
    const cron = only('CronJob');
    const [c] = cron.spec.jobTemplate.spec.template.spec.containers;
    expect(c.command).toHaveLength(1);
    expect(image.copiedTo).toContain(c.command[0]);
    expect(c.command[0]).toMatch(/\/rotate-due\.sh$/);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
  });

  it('the NetworkPolicy covers every payseal pod: in from labelled clients and the scraper on 8080, out to PostgreSQL and DNS only', () => {
    const np = only('NetworkPolicy');
    for (const { owner, labels } of podSpecs()) expect(matches(np.spec.podSelector.matchLabels, labels), owner).toBe(true);
    expect(np.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    const peers: Obj[] = np.spec.ingress.flatMap((rule: Obj) => rule.from);
    for (const rule of np.spec.ingress) expect(rule.ports).toEqual([{ protocol: 'TCP', port: image.port }]);
    for (const peer of peers) {
      // Every peer names pods by label (no empty selector, no ipBlock: those would let in whole networks).
      expect(Object.keys(peer.podSelector?.matchLabels ?? {}).length, JSON.stringify(peer)).toBeGreaterThan(0);
      expect(peer.ipBlock).toBeUndefined();
    }
    expect(peers.filter((p) => p.podSelector.matchLabels['payseal-client'] === 'true').length).toBeGreaterThan(0);
    expect(peers.filter((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring').length).toBe(1);
    const egressPorts = np.spec.egress.flatMap((rule: Obj) => rule.ports.map((p: Obj) => `${p.protocol}/${p.port}`)).sort();
    expect(egressPorts).toEqual(['TCP/53', 'TCP/5432', 'UDP/53']);
    const dns = np.spec.egress.find((rule: Obj) => rule.ports.some((p: Obj) => p.port === 53));
    expect(dns.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
  });
});
