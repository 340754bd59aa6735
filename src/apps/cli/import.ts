import type { Command } from 'commander';
import type { ChunkResult, ImportKind, ImportProgress, SourceRecord } from '../../modules/importer/index.js';
import { callServer, openTarget } from './target.js';
import { resolveWorkspaceId } from './workspace-choice.js';
import { progressLine } from './progress.js';

export function registerImportCommands(program: Command): void {
  const cmd = program.command('import').description('bulk import from CSV (with a header) or JSON lines; re-running a file changes nothing');
  for (const kind of ['members', 'orders', 'refunds'] as const) {
    cmd
      .command(`${kind} <file>`)
      .description(
        kind === 'members'
          ? 'import members: identifier columns (member_no, phone, email, user_id, wechat_openid, wechat_unionid…) and trait columns'
          : kind === 'orders'
            ? 'import orders: CSV with one row per item (order_id, member_no/phone…, status, total_amount, ordered_at, sku, quantity, price…) or JSON lines of orders'
            : 'import refunds of stored orders: CSV (order_id, refund_id, amount, refunded_at; a row per refunded SKU with quantity) or JSON lines as the refunds API takes them',
      )
      .option('--workspace <id>', 'workspace id or name (default: the only one)')
      .option('--data <dir>', 'embedded data folder')
      .option('--format <csv|jsonl>', 'file format (default: by extension)')
      .option('--encoding <name>', 'text encoding: auto (default: UTF-8, else GB18030/GBK, or as its byte-order mark says), utf-8, gb18030 (gbk), big5, windows-1252 (latin1), utf-16le, utf-16be')
      .option('--rejects <file>', 'where to write rejected rows (default: FILE.rejects.csv)')
      .option('--conflicts <file>', 'where to list rows imported with an identity conflict, with line and reason (default: FILE.conflicts.csv)')
      .option('--no-bom', 'write the rejects and conflicts files without the UTF-8 byte-order mark it starts with by default (Excel and WPS need the mark to show Chinese text; scripts may not want it)')
      .option('--dry-run', 'apply each chunk as the import would, against the stored data, and roll it back: the same counts and rejects, nothing written')
      .option('--chunk <n>', 'rows per transaction', kind === 'members' ? '5000' : '2000')
      .option('--parallel <n>', 'chunks applied at once (members on PostgreSQL: 2 by default; otherwise 1)')
      .action(async (file: string, opts: { workspace?: string; data?: string; format?: string; encoding?: string; rejects?: string; conflicts?: string; bom: boolean; dryRun?: boolean; chunk: string; parallel?: string }) => {
        const { applyImportChunk, runImport } = await import('../../modules/importer/index.js');
        const target = await openTarget({ data: opts.data });
        try {
          const workspaceId =
            target.kind === 'direct'
              ? await resolveWorkspaceId(target.database.db, opts.workspace)
              : (await callServer<{ id: string }>(target, '/internal/v1/workspace-id', { workspace: opts.workspace })).id;
          const dryRun = opts.dryRun === true;
          const apply = (records: SourceRecord[]): Promise<ChunkResult> =>
            target.kind === 'direct'
              ? applyImportChunk(target.database, workspaceId, kind as ImportKind, records, { dryRun })
              : callServer<ChunkResult>(target, '/internal/v1/import', { workspaceId, kind, records, dryRun });
          const tty = process.stderr.isTTY;
          let lastDraw = 0;
          const summary = await runImport({
            kind,
            file,
            format: opts.format,
            encoding: opts.encoding,
            rejectsFile: opts.rejects,
            conflictsFile: opts.conflicts,
            rejectsBom: opts.bom,
            chunkSize: Number(opts.chunk),
            // Member chunks of different people commute; PGlite has one connection, so more would only queue. A dry run
            // holds each chunk's locks until it rolls the chunk back: one at a time.
            concurrency: dryRun ? 1 : opts.parallel ? Number(opts.parallel) : kind === 'members' && target.kind === 'direct' && target.database.kind === 'postgres' ? 2 : 1,
            apply,
            onProgress: (p: ImportProgress) => {
              const now = Date.now();
              if (now - lastDraw < (tty ? 100 : 2000)) return;
              lastDraw = now;
              process.stderr.write(tty ? `\r${progressLine(kind, p)}` : `${progressLine(kind, p)}\n`);
            },
          });
          if (tty) process.stderr.write(`\r${progressLine(kind, summary)}\n`);
          // Stored, but OneID kept an identifier apart: counted among the imported (or would-import) rows, listed apart.
          // Said only when there are some, so the line scripts read stays as it was otherwise.
          const withConflict = summary.conflicts ? ` (${summary.conflicts} with an identity conflict)` : '';
          const conflicted = (verb: string) =>
            summary.conflictsFile ? `Rows ${verb} with an identity conflict (an identifier another profile holds), with line numbers and reasons: ${summary.conflictsFile}\n` : '';
          const rate = summary.elapsedMs ? Math.round((summary.rows / summary.elapsedMs) * 1000) : summary.rows;
          if (dryRun) {
            process.stdout.write(
              `Checked ${kind} in ${file}${summary.encoding && summary.encoding !== 'utf-8' ? ` (read as ${summary.encoding.toUpperCase()})` : ''}, nothing written: ` +
                `${summary.rows} rows read, ${summary.imported} would import${withConflict}, ${summary.unchanged} unchanged, ${summary.rejected} rejected\n` +
                (summary.rejectsFile ? `Rejected rows, with line numbers and reasons: ${summary.rejectsFile}\n` : '') +
                conflicted('would import'),
            );
            if (summary.rejected) process.exitCode = 2;
            return;
          }
          process.stdout.write(
            `Imported ${kind} from ${file}${summary.encoding && summary.encoding !== 'utf-8' ? ` (read as ${summary.encoding.toUpperCase()})` : ''} into ${workspaceId} (${target.describe}): ${summary.rows} rows read, ` +
              `${summary.imported} imported${withConflict}, ${summary.unchanged} unchanged, ${summary.rejected} rejected in ${(summary.elapsedMs / 1000).toFixed(1)} s (${rate} rows/s)\n` +
              (summary.rejectsFile ? `Rejected rows, with line numbers and reasons: ${summary.rejectsFile}\n` : '') +
              conflicted('imported'),
          );
          if (summary.rejected) process.exitCode = 2;
        } finally {
          await target.close();
        }
      });
  }
}
