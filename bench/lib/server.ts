/**
 * Runs `node bin/siyu.js …` as a child process for the benchmarks: waits for a log line, reads its RSS from /proc,
 * and stops it with SIGTERM (then SIGKILL). Only the process started here is ever signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const PG_URL = process.env.SIYU_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface SiyuProcess {
  child: ChildProcess;
  /** Every log line so far (stdout and stderr). */
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  rssMb(): number;
  peakRssMb(): number;
  /** CPU time (user + system) the process has used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Env for a command against PostgreSQL in `schema`, or against PGlite in `dataDir`. */
export function siyuEnv(target: { schema: string } | { dataDir: string }): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.SIYU_DB_SCHEMA;
  delete env.SIYU_DATA_DIR;
  // With PostgreSQL the server needs a sealing key for channel secrets; a fixed one is fine for throwaway schemas.
  if ('schema' in target) Object.assign(env, { DATABASE_URL: PG_URL, SIYU_DB_SCHEMA: target.schema, SIYU_SECRET_KEY: env.SIYU_SECRET_KEY ?? 'b'.repeat(64) });
  else env.SIYU_DATA_DIR = target.dataDir;
  return env;
}

export function startSiyu(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): SiyuProcess {
  const child = spawn(process.execPath, [...nodeArgs, 'bin/siyu.js', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (l: string) => void }> = [];
  let exited = false;
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 5000) lines.splice(0, 1000);
      for (const w of [...waiters]) if (w.pattern.test(line)) waiters.splice(waiters.indexOf(w), 1), w.resolve(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const status = (field: string) => {
    try {
      const m = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
      return m ? Number(m[1]) / 1024 : NaN;
    } catch {
      return NaN;
    }
  };
  return {
    child,
    lines,
    waitFor(pattern, timeoutMs) {
      const already = lines.find((l) => pattern.test(l));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; last lines:\n${lines.slice(-10).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exit.then(() => reject(new Error(`siyu ${args.join(' ')} exited (code ${child.exitCode}) before ${pattern}; last lines:\n${lines.slice(-10).join('\n')}`)));
      });
    },
    rssMb: () => status('VmRSS'),
    cpuMs: () => {
      try {
        const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
      } catch {
        return NaN;
      }
    },
    peakRssMb: () => status('VmHWM'),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** Runs a siyu command to completion; rejects with its output if it fails. */
export async function runSiyu(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/siyu.js', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`siyu ${args.join(' ')} failed (${code}):\n${stdout}\n${stderr.slice(-2000)}`);
  return { stdout, stderr, ms };
}

/** Starts `siyu serve` on a free port and waits until it listens. */
export async function startServer(env: NodeJS.ProcessEnv, opts: { port: number; demo?: boolean; nodeArgs?: string[]; workers?: boolean }): Promise<SiyuProcess & { url: string }> {
  const args = ['serve', '--port', String(opts.port), '--host', '127.0.0.1', ...(opts.demo ? [] : ['--no-demo']), ...(opts.workers === false ? ['--no-workers'] : [])];
  const server = startSiyu(args, env, opts.nodeArgs);
  await server.waitFor(/Siyu is serving/, 120_000);
  return Object.assign(server, { url: `http://127.0.0.1:${opts.port}` });
}

export interface CreatedWorkspace {
  id: string;
  writeKey: string;
  adminToken: string;
}

export async function createWorkspaceViaCli(env: NodeJS.ProcessEnv, name: string): Promise<CreatedWorkspace> {
  const { stdout } = await runSiyu(['workspace', 'create', '--name', name, '--json'], env);
  return JSON.parse(stdout) as CreatedWorkspace;
}
