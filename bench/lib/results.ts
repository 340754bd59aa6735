/** Each benchmark prints its figures and, when run by bench/run.ts, also hands them over as JSON. */
import fs from 'node:fs';

export const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export function saveResult(name: string, result: unknown): void {
  const dir = process.env.SIYU_BENCH_OUT;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/${name}.json`, JSON.stringify(result, null, 2));
}

export const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Load average and CPU count: the machine is shared, so every figure says how busy it was. */
export async function machineLoad(): Promise<string> {
  const os = await import('node:os');
  const [one, five] = os.loadavg();
  return `load average ${one!.toFixed(1)} (1 min) / ${five!.toFixed(1)} (5 min) on ${os.cpus().length} cores`;
}
