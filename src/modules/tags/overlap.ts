import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { OverlapRef, OverlapReport } from './schema.js';

/**
 * Sizes of chosen tags and segments and their pairwise overlap (Jaccard = |A∩B| / |A∪B|), so operators can keep
 * groups complete and independent ("low overlap"). One set-based query: members keyed by group, self-joined.
 */
export async function overlapReport(db: Db, workspaceId: string, refs: OverlapRef[]): Promise<OverlapReport> {
  const tagIds = refs.filter((r) => r.kind === 'tag').map((r) => r.id);
  const segmentIds = refs.filter((r) => r.kind === 'segment').map((r) => r.id);
  const members = sql`
    SELECT DISTINCT 'tag:' || tag_id AS k, profile_id FROM tag_assignments WHERE workspace_id = ${workspaceId} AND tag_id = ANY(${tagIds}::text[])
    UNION
    SELECT DISTINCT 'segment:' || segment_id AS k, profile_id FROM segment_members WHERE workspace_id = ${workspaceId} AND segment_id = ANY(${segmentIds}::text[])`;
  const { rows: sizes } = await sql<{ k: string; n: number }>`WITH m AS (${members}) SELECT k, count(*)::int AS n FROM m GROUP BY k`.execute(db);
  const { rows: inter } = await sql<{ a: string; b: string; n: number }>`
    WITH m AS (${members}) SELECT x.k AS a, y.k AS b, count(*)::int AS n FROM m x JOIN m y ON x.profile_id = y.profile_id AND x.k < y.k GROUP BY x.k, y.k`.execute(db);
  const sizeOf = new Map(sizes.map((s) => [s.k, s.n]));
  const interOf = new Map(inter.map((i) => [`${i.a}|${i.b}`, i.n]));
  const key = (r: OverlapRef) => `${r.kind}:${r.id}`;
  const unique = refs.filter((r, i) => refs.findIndex((x) => key(x) === key(r)) === i);
  const pairs: OverlapReport['pairs'] = [];
  for (let i = 0; i < unique.length; i++) {
    for (let j = i + 1; j < unique.length; j++) {
      const [a, b] = [unique[i]!, unique[j]!];
      const [ka, kb] = [key(a), key(b)].sort() as [string, string];
      const intersection = interOf.get(`${ka}|${kb}`) ?? 0;
      const union = (sizeOf.get(key(a)) ?? 0) + (sizeOf.get(key(b)) ?? 0) - intersection;
      pairs.push({ a, b, intersection, union, jaccard: union === 0 ? 0 : intersection / union });
    }
  }
  return { sizes: unique.map((r) => ({ ...r, size: sizeOf.get(key(r)) ?? 0 })), pairs };
}
