/**
 * The container image without a Docker engine. The Dockerfile is parsed (dockerfile-ast) and its stages are
 * reproduced in temp dirs, each image path P living at <stage dir>/P:
 * - build stage: its COPY lines copy from this checkout through .dockerignore (@balena/dockerignore, Docker's
 *   matching rules); its `npm ci` is stood in for by this checkout's node_modules (installed by npm ci from the
 *   same lock), then its `npm run build` runs as written;
 * - runtime stage: its COPY lines copy from the checkout and from the build stage's dir, its install RUN runs as
 *   written with its ENV (npm_config_prefer_offline, so the local cache serves it), and its exact ENTRYPOINT +
 *   CMD runs with its ENV (PORT a free port, PAYSEAL_DATA_DIR a temp dir) until /readyz answers 200.
 * As root (CI and the dev machines are) the service runs as the stage's USER in a private mount namespace whose
 * root filesystem is read-only, the data dir alone writable (with DATABASE_URL: nothing writable at all), as
 * `docker run --read-only` or Kubernetes' readOnlyRootFilesystem would run it. Its HEALTHCHECK, the CLI through
 * the embedded store's socket and scripts/rotate-due.sh (the CronJob's command) run the same way.
 * What this cannot show: the base image itself (Node 22 there, this machine's Node here) and Docker's layers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Copy, DockerfileParser, Env, From, type Instruction } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, postgresUrl, type TestStore } from './support/db.ts';
import { ROOT } from './support/cli.ts';

interface Stage {
  readonly name: string;
  readonly base: string;
  readonly instructions: Instruction[];
}

const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const STAGES: Stage[] = [];
for (const ins of DockerfileParser.parse(DOCKERFILE).getInstructions()) {
  if (ins instanceof From) STAGES.push({ name: ins.getBuildStage() ?? String(STAGES.length), base: ins.getImage() ?? '', instructions: [] });
  else STAGES.at(-1)!.instructions.push(ins);
}
const BUILD = STAGES[0]!;
const RUNTIME = STAGES.at(-1)!;
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
// CommonJS whose typings claim an ES default export: loaded with require, typed by its own declaration.
const ignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof import('@balena/dockerignore').default;
const contextIgnores = ignore().add(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
const one = (stage: Stage, keyword: string) => {
  const found = all(stage, keyword);
  expect(found, `${keyword} in stage ${stage.name}`).toHaveLength(1);
  return found[0]!;
};
/** Exec form only (a JSON array): signals reach node directly, no shell in between. */
const execForm = (ins: Instruction, prefix = ''): string[] => JSON.parse(ins.getArgumentsContent()!.slice(prefix.length).trim()) as string[];
const runText = (ins: Instruction) => ins.getArgumentsContent()!.trim();
const isInstall = (ins: Instruction) => ins.getKeyword() === 'RUN' && /^npm ci\b/.test(runText(ins));

function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions) if (ins instanceof Env) for (const p of ins.getProperties()) env[p.getName()] = p.getUnescapedValue() ?? '';
  return env;
}

/** Every file under a context path that .dockerignore lets into the build context (paths relative to ROOT). */
function contextFiles(source: string): string[] {
  const abs = path.join(ROOT, source);
  const rels = fs.statSync(abs).isDirectory()
    ? fs.readdirSync(abs, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    : [path.relative(ROOT, abs)];
  return rels.filter((rel) => !contextIgnores.ignores(rel));
}

/** Replays a stage's COPY lines (Docker's rules for dir sources, multi-source and trailing-slash destinations). */
function copyStage(stage: Stage, dir: string, stageDirs: Record<string, string>): void {
  let workdir = '/';
  for (const ins of stage.instructions) {
    if (ins.getKeyword() === 'WORKDIR') workdir = path.posix.resolve(workdir, ins.getArgumentsContent()!.trim());
    if (!(ins instanceof Copy)) continue;
    const args = ins.getArguments().map((a) => a.getValue());
    const dest = args.pop()!;
    const destPath = path.join(dir, path.posix.resolve(workdir, dest));
    const intoDir = dest.endsWith('/') || args.length > 1;
    const from = ins.getFromFlag()?.getValue() ?? null;
    for (const source of args) {
      expect(source, 'wildcards are not reproduced').not.toMatch(/[*?[]/);
      const srcPath = from === null ? path.join(ROOT, source) : path.join(stageDirs[from]!, source);
      const files =
        from === null
          ? contextFiles(source).map((rel) => path.join(ROOT, rel))
          : fs.statSync(srcPath).isDirectory()
            ? fs.readdirSync(srcPath, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
            : [srcPath];
      expect(files.length, `COPY ${source} copies something`).toBeGreaterThan(0);
      const isDir = fs.statSync(srcPath).isDirectory();
      for (const file of files) {
        const to = isDir ? path.join(destPath, path.relative(srcPath, file)) : intoDir ? path.join(destPath, path.basename(file)) : destPath;
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.cpSync(file, to);
      }
    }
  }
}

function workdirOf(stage: Stage): string {
  return stage.instructions.filter((i) => i.getKeyword() === 'WORKDIR').reduce((w, i) => path.posix.resolve(w, i.getArgumentsContent()!.trim()), '/');
}

const NODE_PATH_DIRS = `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;

function sh(command: string, cwd: string, env: Record<string, string>): void {
  const r = spawnSync('sh', ['-c', command], { cwd, env: { PATH: NODE_PATH_DIRS, HOME: os.homedir(), ...env }, encoding: 'utf8', timeout: 90_000 });
  expect(r.status, `${command}\n${r.stdout}\n${r.stderr}`).toBe(0);
}

// --- the read-only sandbox -------------------------------------------------------------------------------------
const SANDBOX = `set -e
n=$1; shift
while [ "$n" -gt 0 ]; do mount --bind "$1" "$1"; shift; n=$((n - 1)); done
mount -o remount,bind,ro /
uid=$1; gid=$2; shift 2
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"`;
const user = one(RUNTIME, 'USER').getArgumentsContent()!.trim();
const [uid, gid] = user.split(':').map(Number) as [number, number];
const sandboxed =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', SANDBOX, 'sh', '0', String(uid), String(gid), 'true']).status === 0;

/** Spawns argv as the stage's USER on a read-only root with only `writable` writable (when root may). */
function spawnImage(argv: string[], cwd: string, env: Record<string, string>, writable: string[]): ChildProcess {
  if (!sandboxed) return spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const args = ['-m', '--propagation', 'private', 'sh', '-c', SANDBOX, 'sh', String(writable.length), ...writable, String(uid), String(gid), ...argv];
  return spawn('unshare', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function runImage(argv: string[], cwd: string, env: Record<string, string>, writable: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawnImage(argv, cwd, env, writable);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Service {
  readonly child: ChildProcess;
  readonly base: string;
  readonly env: Record<string, string>;
  output(): string;
}

/** The stage's exact ENTRYPOINT + CMD with its ENV (PORT and PAYSEAL_DATA_DIR replaced), until /readyz is 200. */
async function startService(app: string, extraEnv: Record<string, string>, writable: string[]): Promise<Service> {
  const port = await freePort();
  const env = { PATH: NODE_PATH_DIRS, HOME: '/nonexistent', ...stageEnv(RUNTIME), PORT: String(port), ...extraEnv };
  const argv = [...execForm(one(RUNTIME, 'ENTRYPOINT')), ...execForm(one(RUNTIME, 'CMD'))];
  const child = spawnImage(argv, app, env, writable);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the image's ENTRYPOINT + CMD exited with ${child.exitCode}:\n${output}`);
    const status = await fetch(`${base}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return { child, base, env, output: () => output };
    if (Date.now() > deadline) throw new Error(`/readyz did not answer 200 within 45 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(service: Service): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  const exited = new Promise<number | null>((resolve) => service.child.on('exit', (code) => resolve(code)));
  service.child.kill('SIGTERM');
  return exited;
}

async function call(service: Service, token: string, route: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${service.base}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** Sign and verify through the image: the production dependencies carry a real operation, not just a probe. */
async function signAndVerify(service: Service, token: string): Promise<void> {
  expect((await call(service, token, '/v1/keys', { name: 'image', type: 'ecdsa-p256' })).status).toBe(201);
  const signed = await call(service, token, '/v1/keys/image/sign', { input: 'aGVsbG8=' });
  expect(signed.status).toBe(200);
  const verified = await call(service, token, '/v1/keys/image/verify', { input: 'aGVsbG8=', signature: signed.json.signature });
  expect(verified.json).toMatchObject({ valid: true, key_version: 1 });
}

// --- staging ---------------------------------------------------------------------------------------------------
let work = '';
let app = '';
const stores: TestStore[] = [];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-image-'));
  const buildDir = path.join(work, 'build');
  const runtimeDir = path.join(work, 'runtime');
  // Build stage: COPY from the context, this checkout's node_modules for its `npm ci`, then its other RUNs.
  copyStage(BUILD, buildDir, {});
  const buildWorkdir = path.join(buildDir, workdirOf(BUILD));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(buildWorkdir, 'node_modules'));
  for (const ins of all(BUILD, 'RUN').filter((i) => !isInstall(i))) sh(runText(ins), buildWorkdir, stageEnv(BUILD));
  // Runtime stage: its COPYs, then its install RUN as written (npm ci touches node_modules only, so running it
  // after every COPY gives what the layer order gives). Its other RUN (mkdir /data) is the data dir made below.
  app = path.join(runtimeDir, workdirOf(RUNTIME));
  copyStage(RUNTIME, runtimeDir, { [BUILD.name]: buildDir });
  for (const ins of all(RUNTIME, 'RUN').filter(isInstall)) sh(runText(ins), app, { ...stageEnv(RUNTIME), npm_config_prefer_offline: 'true' });
  // Readable by the stage's USER, writable by nobody but root (mkdtemp made the temp dir 0700).
  for (let d = app; d.startsWith(work); d = path.dirname(d)) fs.chmodSync(d, 0o755);
}, 120_000);

afterAll(async () => {
  for (const s of stores) await s.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('pins Node 22 LTS by exact patch in every stage and builds in a stage of its own', () => {
    expect(STAGES.length).toBeGreaterThanOrEqual(2);
    for (const s of STAGES) expect(s.base).toMatch(/^node:22\.\d+\.\d+-bookworm-slim$/);
    expect(all(BUILD, 'RUN').map(runText)).toContain('npm run build');
  });

  it('runtime stage: production dependencies only, no sources, non-root numeric USER, EXPOSE 8080, exec-form probes', () => {
    const install = all(RUNTIME, 'RUN').filter(isInstall);
    expect(install).toHaveLength(1);
    expect(runText(install[0]!)).toMatch(/--omit=dev\b/);
    expect(runText(install[0]!)).toMatch(/--ignore-scripts\b/);
    expect(runText(install[0]!), 'one command: the test runs it as written').not.toMatch(/&&|;|\|/);
    const copied = (all(RUNTIME, 'COPY') as Copy[]).map((c) => c.getArguments().map((a) => a.getValue()).slice(0, -1)).flat();
    expect(copied.sort()).toEqual(['/src/dist', 'bin', 'package-lock.json', 'package.json', 'scripts/rotate-due.sh'].sort());
    expect(uid).toBeGreaterThan(0);
    expect(user).toMatch(/^\d+:\d+$/);
    expect(one(RUNTIME, 'EXPOSE').getArgumentsContent()!.trim()).toBe('8080');
    expect(stageEnv(RUNTIME)).toMatchObject({ HOST: '0.0.0.0', PORT: '8080', NODE_ENV: 'production' });
    expect(execForm(one(RUNTIME, 'HEALTHCHECK'), 'CMD').join(' ')).toContain('/healthz');
    expect(execForm(one(RUNTIME, 'ENTRYPOINT'))).toEqual(['node', 'bin/payseal.js']);
    expect(execForm(one(RUNTIME, 'CMD'))).toEqual(['serve']);
  });

  it('.dockerignore lets every COPY source in and keeps secrets, data and build output out', () => {
    for (const ins of STAGES.flatMap((s) => s.instructions).filter((i): i is Copy => i instanceof Copy && !i.getFromFlag())) {
      for (const source of ins.getArguments().map((a) => a.getValue()).slice(0, -1)) expect(contextFiles(source).length, source).toBeGreaterThan(0);
    }
    const out = ['data/kek', 'data/pgdata/PG_VERSION', '.env', 'prod.kek', 'node_modules/pg/package.json', 'dist/cli/main.js', '.git/config', 'test/serve.test.ts', 'src/config.test.ts', 'docs/keys.md'];
    for (const p of out) expect(contextIgnores.ignores(p), p).toBe(true);
    for (const p of ['src/config.ts', 'src/keys/migrations/001_keys.sql', 'bin/payseal.js']) expect(contextIgnores.ignores(p), p).toBe(false);
  });
});

describe('the runtime stage, reproduced', () => {
  it('has no compiler, test runner or other devDependency in node_modules, and no TypeScript source', () => {
    const installed = fs.readdirSync(path.join(app, 'node_modules')).flatMap((n) => (n.startsWith('@') ? fs.readdirSync(path.join(app, 'node_modules', n)).map((m) => `${n}/${m}`) : [n]));
    for (const dev of ['tsx', 'typescript', 'vitest', 'esbuild']) expect(installed).not.toContain(dev);
    expect(installed.filter((n) => n in PKG.devDependencies)).toEqual([]);
    expect(installed).toContain('express');
    const own = fs.readdirSync(app, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.parentPath.includes('node_modules'));
    expect(own.filter((e) => e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))).toEqual([]);
    expect(fs.existsSync(path.join(app, 'dist/cli/main.js'))).toBe(true);
  });

  it.skipIf(!sandboxed)('the sandbox has teeth: outside the writable dirs, /tmp and the app dir refuse writes', async () => {
    const write = (file: string) => ['node', '-e', `require('node:fs').writeFileSync(${JSON.stringify(file)}, 'x')`];
    const env = { PATH: NODE_PATH_DIRS };
    const tmp = await runImage(write(path.join(os.tmpdir(), `payseal-ro-${process.pid}`)), app, env, []);
    expect(tmp.out).toMatch(/EROFS|EACCES/);
    expect((await runImage(write(path.join(app, 'probe')), app, env, [])).code).not.toBe(0);
    const writable = path.join(work, 'writable');
    fs.mkdirSync(writable);
    fs.chownSync(writable, uid, gid);
    expect(await runImage(write(path.join(writable, 'probe')), app, env, [writable])).toMatchObject({ code: 0 });
  });

  it(`serves /readyz from its ENTRYPOINT + CMD${sandboxed ? ` as uid ${uid} on a read-only root` : ''}, embedded store in the data dir only`, async () => {
    if (!sandboxed) console.warn('deploy-image: not root or no mount namespaces: the read-only root and USER are not reproduced');
    const data = path.join(work, 'data');
    fs.mkdirSync(data, { mode: 0o700 });
    if (sandboxed) fs.chownSync(data, uid, gid);
    const service = await startService(app, { PAYSEAL_DATA_DIR: data }, [data]);
    try {
      if (sandboxed) expect(fs.readFileSync(`/proc/${service.child.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
      const token = /pst_[A-Za-z0-9_-]+/.exec(service.output())?.[0];
      expect(token, service.output()).toBeDefined();
      await signAndVerify(service, token!);
      // The CLI's socket is in the data dir, so CLIs reach the running service with nothing else writable.
      expect(fs.existsSync(path.join(data, 'socket', '.s.PGSQL.5432'))).toBe(true);
      const health = execForm(one(RUNTIME, 'HEALTHCHECK'), 'CMD');
      expect((await runImage(health, app, service.env, [])).code).toBe(0);
      const cli = await runImage([...execForm(one(RUNTIME, 'ENTRYPOINT')), 'keys', 'list'], app, service.env, []);
      expect(cli, cli.out).toMatchObject({ code: 0 });
      expect(cli.out).toMatch(/^image\s+ecdsa-p256\s+v1/m);
      const cron = await runImage([path.join(app, 'scripts/rotate-due.sh')], app, service.env, []);
      expect(cron.out).toContain('no key is due for rotation');
      expect(cron.code).toBe(0);
      expect(await stop(service)).toBe(0);
      expect(service.output()).toContain('payseal stopped');
      expect((await runImage(health, app, service.env, [])).code).not.toBe(0);
      // What stays once it stopped: the KEK, the database and the (emptied) private socket directory.
      expect(fs.readdirSync(data).sort()).toEqual(['kek', 'pgdata', 'socket']);
      expect(fs.readdirSync(path.join(data, 'socket'))).toEqual([]);
    } finally {
      await stop(service);
    }
  });

  it.skipIf(!postgresUrl())('with DATABASE_URL needs nothing writable at all', async () => {
    const store = await createTestStore({ backend: 'postgres' });
    stores.push(store);
    const token = `pst_${crypto.randomBytes(24).toString('base64url')}`;
    const env = { DATABASE_URL: store.config.databaseUrl!, PAYSEAL_KEK: store.config.kekBase64!, PAYSEAL_ADMIN_TOKEN: token };
    const service = await startService(app, env, []);
    try {
      await signAndVerify(service, token);
      expect(service.output()).not.toContain(token);
      expect(await stop(service)).toBe(0);
    } finally {
      await stop(service);
    }
  });
});
