/**
 * Sums PostgreSQL's per-statement CPU (log_statement_stats) from a server log excerpt, by statement kind (verb and
 * first table): `npx tsx bench/pg-statement-cpu.ts <log excerpt> [persons]`. Pair with `bench/journeys.ts
 * --statement-cpu`, copying the log's new lines (e.g. `tail -c +<size before> postgresql-15-main.log`).
 */
import { readFileSync } from 'node:fs';

const [file, persons] = [process.argv[2], Number(process.argv[3] ?? 0)];
if (!file) throw new Error('usage: pg-statement-cpu.ts <log excerpt> [persons]');
const lines = readFileSync(file, 'utf8').split('\n');
const kinds = new Map<string, { n: number; ms: number }>();
let cpu: number | undefined;
// The extended protocol logs a statement's parse, bind and execute apart: CPU of all three, one count per execute.
let counts = true;
const label = (text: string) => {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = t.match(/^(WITH \w+|INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|SELECT .*? FROM "?\w+|ANALYZE \w+|\w+)/i);
  return (m ? m[1]! : t.slice(0, 40)).replace(/"/g, '').slice(0, 70);
};
for (let i = 0; i < lines.length; i++) {
  const kind = lines[i]!.match(/LOG:\s+(PARSE MESSAGE|BIND MESSAGE|EXECUTE MESSAGE|QUERY) STATISTICS/);
  if (kind) counts = kind[1] === 'EXECUTE MESSAGE' || kind[1] === 'QUERY';
  const usage = lines[i]!.match(/!\s+([\d.]+) s user, ([\d.]+) s system, [\d.]+ s elapsed/);
  if (usage) cpu = (Number(usage[1]) + Number(usage[2])) * 1000;
  const statement = lines[i]!.match(/STATEMENT:\s+(.*)$/);
  if (statement && cpu !== undefined) {
    let text = statement[1]!;
    for (let j = i + 1; j < lines.length && /^\s/.test(lines[j]!); j++) text += ` ${lines[j]!.trim()}`;
    const k = label(text);
    const agg = kinds.get(k) ?? { n: 0, ms: 0 };
    if (counts) agg.n += 1;
    agg.ms += cpu;
    kinds.set(k, agg);
    cpu = undefined;
  }
}
const total = [...kinds.values()].reduce((a, k) => a + k.ms, 0);
console.log(`total ${total.toFixed(0)} ms${persons ? `, ${((total * 1000) / persons).toFixed(1)} us per person` : ''}`);
for (const [k, v] of [...kinds].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
  console.log(`${v.ms.toFixed(0).padStart(8)} ms ${String(v.n).padStart(7)} x ${(v.ms / v.n).toFixed(2).padStart(7)} ms${persons ? ` ${((v.ms * 1000) / persons).toFixed(1).padStart(6)} us/person` : ''}  ${k}`);
}
