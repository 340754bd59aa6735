/**
 * The member import's own CPU, with no database: what `siyu import members` does per row before PostgreSQL sees it
 * (read and parse the CSV, build each row's identify message, pick bulk candidates, render the staged rows as COPY
 * text). The import shares 2 cores with PostgreSQL, so every microsecond here is one PostgreSQL cannot use.
 * Baseline in the same run: reading the same file and splitting it into lines and fields (the least any CSV reader
 * does).
 *
 *   npx tsx bench/import-cpu.ts [--members 200000] [--runs 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_IDENTIFIER_RULES, bulkCandidates, type IdentifierRules } from '../src/modules/identity/index.js';
import { memberRowToMessage, type SourceRecord } from '../src/modules/importer/index.js';
import { BULK_IDENTIFIER_COLUMNS } from '../src/modules/identity/index.js';
import { PEOPLE_COLUMNS, stagedRows } from '../src/modules/importer/members.js';
import { readRecords } from '../src/modules/importer/read.js';
import { copyText } from '../src/modules/importer/stage.js';
import type { PreparedMessage } from '../src/modules/ingest/index.js';
import { writeMembersCsv } from './lib/members-csv.js';
import { log, machineLoad, round } from './lib/results.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const members = arg('members', 200_000);
const runs = arg('runs', 3);
const CHUNK = 5000;
const rules: IdentifierRules = (type) => DEFAULT_IDENTIFIER_RULES[type] ?? { priority: 0, maxPerProfile: null };

/** CPU time (user + system) of this process, in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const PHASES = ['read', 'messages', 'candidates', 'staged rows', 'COPY text'] as const;
type Phases = Record<(typeof PHASES)[number], number>;

/** The import's side of a file, phase by phase (CPU ms each; reading includes the CSV parser). */
async function importSide(file: string): Promise<{ rows: number; bytes: number; phases: Phases }> {
  const phases: Phases = { read: 0, messages: 0, candidates: 0, 'staged rows': 0, 'COPY text': 0 };
  let chunk: SourceRecord[] = [];
  let rows = 0;
  let bytes = 0;
  const apply = (records: SourceRecord[]) => {
    let t = cpuMs();
    const lap = (phase: keyof Phases) => {
      const now = cpuMs();
      phases[phase] += now - t;
      t = now;
    };
    const receivedAt = new Date();
    const messages: PreparedMessage[] = [];
    for (const rec of records) {
      const r = memberRowToMessage(rec, receivedAt);
      if ('message' in r) messages.push(r.message);
    }
    lap('messages');
    const eligible = bulkCandidates(messages.map((m) => m.identifiers), rules);
    lap('candidates');
    const staged = stagedRows(messages.filter((_, i) => eligible[i]), rules);
    lap('staged rows');
    bytes += copyText(PEOPLE_COLUMNS, staged.people).length + copyText(BULK_IDENTIFIER_COLUMNS, staged.identifiers).length;
    lap('COPY text');
  };
  let readStarted = cpuMs();
  for await (const rec of readRecords(file, 'csv', () => {}, () => {})) {
    rows++;
    chunk.push(rec);
    if (chunk.length >= CHUNK) {
      phases.read += cpuMs() - readStarted;
      apply(chunk);
      chunk = [];
      readStarted = cpuMs();
    }
  }
  phases.read += cpuMs() - readStarted;
  apply(chunk);
  return { rows, bytes, phases };
}

function splitOnly(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  let fields = 0;
  for (const line of text.split('\n')) if (line) fields += line.split(',').length;
  return fields;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-bench-import-cpu-'));
  const file = path.join(dir, 'members.csv');
  try {
    const size = writeMembersCsv(file, members);
    log(`import CPU without a database: ${members} members, ${(size / 1e6).toFixed(1)} MB; ${await machineLoad()}`);
    const best: Phases & { total: number } = { read: Infinity, messages: Infinity, candidates: Infinity, 'staged rows': Infinity, 'COPY text': Infinity, total: Infinity };
    for (let run = 1; run <= runs; run++) {
      let t = cpuMs();
      splitOnly(file);
      const baseline = cpuMs() - t;
      t = cpuMs();
      const out = await importSide(file);
      const own = cpuMs() - t;
      const per = (ms: number) => round((ms * 1000) / out.rows, 1);
      log(`  run ${run}: ${per(own)} µs CPU per member (${Math.round(own)} ms, COPY text ${(out.bytes / 1e6).toFixed(1)} MB); ` +
        `read + split the file: ${round((baseline * 1000) / members, 1)} µs per member, ×${round(own / baseline, 1)}`);
      log(`    by phase, µs per member: ${PHASES.map((p) => `${p} ${per(out.phases[p])}`).join(', ')}`);
      for (const p of PHASES) best[p] = Math.min(best[p], out.phases[p]);
      best.total = Math.min(best.total, own);
    }
    // The machine is shared: the least of the runs is the figure least disturbed by others.
    const per = (ms: number) => round((ms * 1000) / members, 1);
    log(`RESULT import CPU: best of ${runs} runs ${per(best.total)} µs per member; by phase ${PHASES.map((p) => `${p} ${per(best[p])}`).join(', ')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
