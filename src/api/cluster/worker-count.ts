/**
 * How many service processes to run (PAYSEAL_WORKERS). Unset means one per usable core: the cores this process
 * may run on (os.availableParallelism, which follows CPU affinity and cpusets), capped by a CPU quota of the
 * container (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), so a container limited to
 * 2 CPUs on a 64-core node runs 2, not 64 (each worker holds its own database pool). Embedded mode runs one
 * whatever is asked: PGlite's data dir is opened by a single process and cannot be shared.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Config } from '../../config.ts';

export interface WorkerCount {
  readonly count: number;
  /** Why count differs from what was asked or what the cores allow; null when it does not. */
  readonly note: string | null;
}

function readNumber(file: string): number | null {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return /^-?\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/** CPUs allowed by the cgroup's CFS quota, rounded up; null when there is no quota (or no cgroup to read). */
export function cgroupCpuLimit(root = '/sys/fs/cgroup'): number | null {
  try {
    // cgroup v2: "<quota> <period>" or "max <period>".
    const [quota, period] = fs.readFileSync(`${root}/cpu.max`, 'utf8').trim().split(/\s+/);
    if (quota === 'max') return null;
    const q = Number(quota);
    const p = Number(period);
    if (Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0) return Math.max(1, Math.ceil(q / p));
  } catch {
    // not cgroup v2; try v1
  }
  const q = readNumber(`${root}/cpu/cpu.cfs_quota_us`) ?? readNumber(`${root}/cpu,cpuacct/cpu.cfs_quota_us`);
  const p = readNumber(`${root}/cpu/cpu.cfs_period_us`) ?? readNumber(`${root}/cpu,cpuacct/cpu.cfs_period_us`);
  if (q === null || p === null || q <= 0 || p <= 0) return null;
  return Math.max(1, Math.ceil(q / p));
}

export function defaultWorkerCount(cores = os.availableParallelism(), quota = cgroupCpuLimit()): number {
  return Math.max(1, quota === null ? cores : Math.min(cores, quota));
}

export function resolveWorkerCount(config: Config, cores = defaultWorkerCount()): WorkerCount {
  const asked = config.workers ?? null;
  const wanted = asked ?? cores;
  if (config.databaseUrl === null && wanted > 1) {
    const what = asked === null ? `${cores} cores` : `PAYSEAL_WORKERS=${asked}`;
    return { count: 1, note: `embedded mode runs one process (${what} ignored): PGlite's data dir cannot be shared by processes; set DATABASE_URL to run several` };
  }
  return { count: wanted, note: null };
}
