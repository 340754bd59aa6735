/** CPU accounting for in-process benches: this process and the PostgreSQL backends serving it (on Linux). */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { withClient } from './pg.js';

/** CPU seconds (user + system) of a process, 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving a process: its sockets to port 5432, matched to backends by client port. */
export async function backendsOf(pid: number): Promise<number[]> {
  const ports = execSync('ss -tnp', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`) && /:5432\s/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[3]!.split(':').at(-1)));
  if (ports.length === 0) return [];
  return withClient(null, async (c) => (await c.query('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [ports])).rows.map((r: { pid: number }) => r.pid));
}

/** Starts a window; the returned function gives CPU seconds of this process and of its backends since. */
export async function cpuWindow(): Promise<() => Promise<{ node: number; postgres: number }>> {
  const before = await backendsOf(process.pid);
  const startPg = new Map(before.map((b) => [b, cpuSeconds(b)]));
  const startNode = process.cpuUsage();
  return async () => {
    const node = process.cpuUsage(startNode);
    const now = await backendsOf(process.pid);
    let pg = 0;
    for (const b of new Set([...before, ...now])) pg += cpuSeconds(b) - (startPg.get(b) ?? 0);
    return { node: (node.user + node.system) / 1e6, postgres: pg };
  };
}
