import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

/**
 * CSV downloads open right in Excel and WPS: they start with a UTF-8 byte-order mark, without which a Chinese Excel
 * reads the file in the system code page (GBK) and shows every name garbled. Scripts that want the bare bytes ask
 * with `?bom=false`; CSV readers (csv-parse with `bom`, Python's utf-8-sig, our own importer) skip the mark.
 */
export const CsvDownloadQuery = {
  bom: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true')
    .describe('start with a UTF-8 byte-order mark so Excel and WPS show Chinese text (default true)'),
};

export function sendCsv(reply: FastifyReply, csv: string | AsyncIterable<string>, fileName: string, opts: { bom: boolean }): FastifyReply {
  // An ASCII fallback name for old clients, and the real one (Chinese segment names) per RFC 6266 / 5987.
  const name = fileName.replace(/[/\\\x00-\x1f]/g, '_');
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  const bom = opts.bom ? '\ufeff' : '';
  if (typeof csv === 'string') return reply.send(bom + csv);
  return reply.send(
    Readable.from(
      (async function* () {
        if (bom) yield bom;
        yield* csv;
      })(),
    ),
  );
}
