import type { ImportProgress } from '../../modules/importer/index.js';

/** One line of progress: a bar by bytes read, counts and the rate. */
export function progressLine(label: string, p: ImportProgress): string {
  const fraction = p.totalBytes ? Math.min(1, p.bytesRead / p.totalBytes) : 1;
  const width = 24;
  const filled = Math.round(fraction * width);
  const rate = p.elapsedMs ? Math.round((p.rows / p.elapsedMs) * 1000) : 0;
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${p.rows} rows  ${p.imported} new${p.conflicts ? ` (${p.conflicts} conflict)` : ''}  ${p.unchanged} unchanged  ${p.rejected} rejected  ${rate}/s`;
}
