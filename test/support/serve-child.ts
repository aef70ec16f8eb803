/**
 * `payseal serve` as a real child process (the built binary), for tests that need separate processes on one
 * store or that kill a server: it listens on an ephemeral port and reports its address in its JSON log line
 * "payseal is serving" (so PAYSEAL_LOG_LEVEL must be info or lower). stop() sends a signal and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from './cli.ts';

export interface ServeChild {
  readonly url: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by the signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnServe(env: Record<string, string>, timeoutMs = 60_000): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`payseal serve did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      // Keep the tail only: with the access log at info level a loaded server writes a line per request.
      out = (out + d.toString('utf8')).slice(-65_536);
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"payseal is serving"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          child,
          output: () => out,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`payseal serve exited (${code}) before serving:\n${out}`));
    });
  });
}
