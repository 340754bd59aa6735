import { parse } from 'csv-parse/sync';
import { sql, type Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { SegmentsTable } from '../../platform/db/schema.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { compileRule, ruleGraph, validateRule, workspaceContext } from '../rules/index.js';
import { recomputeWithDependents } from './evaluation.js';
import { setStaticMembers } from './materialise.js';
import type { Segment, SegmentInput, SegmentUpdate, StaticSegmentInput } from './schema.js';

function toSegment(row: Selectable<SegmentsTable>): Segment {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    rule: row.rule,
    size: row.size,
    computedAt: row.computed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function getSegment(db: Db, workspaceId: string, id: string): Promise<Segment> {
  const row = await db.selectFrom('segments').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`segment ${id}`);
  return toSegment(row);
}

export async function listSegments(db: Db, workspaceId: string): Promise<Segment[]> {
  const rows = await db.selectFrom('segments').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  return rows.map(toSegment);
}

/** One page of segments, filtered by name and sorted on the server, with the total that match. */
export async function pageSegments(
  db: Db,
  workspaceId: string,
  opts: { q?: string; kind?: 'rule' | 'static'; sort?: 'createdAt' | 'name' | 'size' | 'updatedAt'; order?: 'asc' | 'desc'; limit?: number; offset?: number } = {},
): Promise<{ data: Segment[]; total: number }> {
  let q = db.selectFrom('segments').where('workspace_id', '=', workspaceId);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  if (opts.q) q = q.where(sql<boolean>`strpos(lower(name), lower(${opts.q})) > 0`);
  const column = ({ createdAt: 'created_at', name: 'name', size: 'size', updatedAt: 'updated_at' } as const)[opts.sort ?? 'createdAt'];
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy(column, opts.order ?? 'asc').orderBy('id').limit(opts.limit ?? 50).offset(opts.offset ?? 0).execute(),
    q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirst(),
  ]);
  return { data: rows.map(toSegment), total: count?.n ?? 0 };
}

/** A rule segment: validated (no cycles), then materialised at once. */
export async function createSegment(db: Db, workspaceId: string, input: SegmentInput, now = new Date()): Promise<Segment> {
  const id = newId('seg');
  const rule = await validateRule(db, workspaceId, input.rule, { kind: 'segment', id }, 'body.rule');
  await db
    .insertInto('segments')
    .values({ workspace_id: workspaceId, id, name: input.name, description: input.description ?? null, kind: 'rule', rule: JSON.stringify(rule) })
    .execute();
  await recomputeWithDependents(db, workspaceId, { kind: 'segment', id }, now);
  return getSegment(db, workspaceId, id);
}

/**
 * A static segment: its members are fixed at creation, from profile ids, a CSV (profile_id or an identifier-type
 * column), or a snapshot of another segment's current members.
 */
export async function createStaticSegment(db: Db, workspaceId: string, input: StaticSegmentInput, now = new Date()): Promise<Segment & { unmatched: number }> {
  let profileIds: number[] = input.profileIds ?? [];
  let unmatched = 0;
  if (input.csv !== undefined) ({ profileIds, unmatched } = await profilesFromCsv(db, workspaceId, input.csv));
  if (input.snapshotOf !== undefined) {
    await getSegment(db, workspaceId, input.snapshotOf);
    const rows = await db.selectFrom('segment_members').select('profile_id').distinct().where('workspace_id', '=', workspaceId).where('segment_id', '=', input.snapshotOf).execute();
    profileIds = rows.map((r) => r.profile_id);
  }
  const id = newId('seg');
  await db
    .insertInto('segments')
    .values({ workspace_id: workspaceId, id, name: input.name, description: input.description ?? null, kind: 'static', rule: null })
    .execute();
  await setStaticMembers(db, workspaceId, id, profileIds, now);
  return { ...(await getSegment(db, workspaceId, id)), unmatched };
}

async function profilesFromCsv(db: Db, workspaceId: string, csv: string): Promise<{ profileIds: number[]; unmatched: number }> {
  const records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
  const keyColumn = Object.keys(records[0] ?? {})[0];
  if (!keyColumn) throw invalid('the CSV needs a header: profile_id or an identifier type', [{ path: 'body.csv', message: 'no header' }]);
  const keys = [...new Set(records.map((r) => r[keyColumn] ?? '').filter(Boolean))];
  if (keys.length === 0) return { profileIds: [], unmatched: 0 };
  if (keyColumn === 'profile_id') {
    const ids = keys.map(Number).filter((n) => Number.isInteger(n) && n > 0);
    const rows = ids.length ? await db.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute() : [];
    return { profileIds: rows.map((r) => r.merged_into ?? r.id), unmatched: keys.length - rows.length };
  }
  const rows = await db
    .selectFrom('identifiers')
    .select(['value', 'profile_id'])
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', keyColumn)
    .where('value', 'in', keys)
    .execute();
  const ids = rows.flatMap((r) => (r.profile_id === null ? [] : [r.profile_id]));
  return { profileIds: ids, unmatched: keys.length - ids.length };
}

export async function updateSegment(db: Db, workspaceId: string, id: string, input: SegmentUpdate, now = new Date()): Promise<Segment> {
  const current = await getSegment(db, workspaceId, id);
  if (input.rule && current.kind !== 'rule') throw invalid('a static segment has no rule', [{ path: 'body.rule', message: 'static segment' }]);
  const rule = input.rule ? await validateRule(db, workspaceId, input.rule, { kind: 'segment', id }, 'body.rule') : undefined;
  await db
    .updateTable('segments')
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(rule ? { rule: JSON.stringify(rule) } : {}),
      updated_at: now,
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
  if (rule) await recomputeWithDependents(db, workspaceId, { kind: 'segment', id }, now);
  return getSegment(db, workspaceId, id);
}

export async function deleteSegment(db: Db, workspaceId: string, id: string): Promise<Segment> {
  const segment = await getSegment(db, workspaceId, id);
  const graph = await ruleGraph(db, workspaceId);
  const users = [...graph.entries()].filter(([key, n]) => n.live && key !== `segment:${id}` && n.dependsOn.includes(`segment:${id}`)).map(([k]) => k);
  if (users.length) throw new AppError('conflict', `segment ${id} is used by the rules of ${users.join(', ')}`);
  await db.deleteFrom('segments').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
  return segment;
}

/** Size (and a sample) of a rule as it is being edited, before it is saved: the batch evaluator, nothing written. */
export async function estimateRule(db: Db, workspaceId: string, input: unknown, now = new Date(), root = 'body.rule'): Promise<{ size: number; sample: number[] }> {
  const rule = await validateRule(db, workspaceId, input, undefined, root);
  const ctx = await workspaceContext(db, workspaceId, now);
  const { rows } = await sql<{ size: number; sample: number[] | null }>`
    WITH m AS (${compileRule(rule.condition, workspaceId, ctx)})
    SELECT count(*)::int AS size, (SELECT array_agg(profile_id) FROM (SELECT profile_id FROM m ORDER BY profile_id LIMIT 10) s) AS sample FROM m`.execute(db);
  return { size: rows[0]?.size ?? 0, sample: (rows[0]?.sample ?? []).map(Number) };
}

/** Members, paged by profile id (keyset), with traits and identifiers for a preview. */
export async function listMembers(db: Db, workspaceId: string, id: string, opts: { limit?: number; after?: number } = {}) {
  await getSegment(db, workspaceId, id);
  const limit = Math.min(opts.limit ?? 50, 1000);
  const { rows } = await sql<{ profile_id: number; entered_at: Date; traits: Record<string, unknown>; identifiers: Array<{ type: string; value: string }> | null }>`
    SELECT m.profile_id, min(m.entered_at) AS entered_at, p.traits,
      (SELECT json_agg(json_build_object('type', i.type, 'value', i.value) ORDER BY i.id) FROM identifiers i
        WHERE i.workspace_id = ${workspaceId} AND i.profile_id = m.profile_id) AS identifiers
    FROM segment_members m JOIN profiles p ON p.workspace_id = m.workspace_id AND p.id = m.profile_id
    WHERE m.workspace_id = ${workspaceId} AND m.segment_id = ${id} AND m.profile_id > ${opts.after ?? 0}
    GROUP BY m.profile_id, p.traits ORDER BY m.profile_id LIMIT ${limit}`.execute(db);
  const data = rows.map((r) => ({ profileId: r.profile_id, enteredAt: r.entered_at, traits: r.traits, identifiers: r.identifiers ?? [] }));
  return { data, next: data.length === limit ? data[data.length - 1]!.profileId : null };
}

/**
 * CSV of members: profile id, the chosen identifier types (values joined by `|`) and traits, produced page by page as
 * it is sent, so a segment of any size is never held in memory whole. The segment is checked first, so an unknown id
 * is a 404 before any byte goes out.
 */
export async function exportMembersCsv(
  db: Db,
  workspaceId: string,
  id: string,
  opts: { identifierTypes: string[]; traits: string[]; pageSize?: number },
): Promise<AsyncIterable<string>> {
  await getSegment(db, workspaceId, id);
  const header = ['profile_id', ...opts.identifierTypes, ...opts.traits.map((t) => `trait.${t}`)];
  return (async function* pages() {
    yield `${header.map(csvCell).join(',')}\n`;
    let after = 0;
    for (;;) {
      const page = await listMembers(db, workspaceId, id, { limit: opts.pageSize ?? 1000, after });
      let text = '';
      for (const m of page.data) {
        const ids = opts.identifierTypes.map((type) => m.identifiers.filter((i) => i.type === type).map((i) => i.value).join('|'));
        const traits = opts.traits.map((t) => {
          // Own traits only: a trait named `constructor` the profile lacks is empty, not Object.prototype's function.
          const v = Object.hasOwn(m.traits, t) ? m.traits[t] : undefined;
          return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
        });
        text += `${[String(m.profileId), ...ids, ...traits].map(csvCell).join(',')}\n`;
      }
      if (text) yield text;
      if (page.next === null) return;
      after = page.next;
    }
  })();
}

function csvCell(value: string): string {
  // Quote when needed; a leading = + - @ is neutralised so spreadsheets never run it as a formula (plain numbers
  // such as E.164 phones cannot be formulas and stay as they are).
  const safe = /^[=+\-@]/.test(value) && !/^[+-]?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A profile's current segments. */
export async function profileSegments(db: Db, workspaceId: string, profileId: number) {
  const rows = await db
    .selectFrom('segment_members as m')
    .innerJoin('segments as s', (j) => j.onRef('s.workspace_id', '=', 'm.workspace_id').onRef('s.id', '=', 'm.segment_id'))
    .select(['m.segment_id', 's.name', 's.kind', sql<Date>`min(m.entered_at)`.as('entered_at')])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.profile_id', '=', profileId)
    .groupBy(['m.segment_id', 's.name', 's.kind'])
    .execute();
  return rows.map((r) => ({ segmentId: r.segment_id, name: r.name, kind: r.kind, enteredAt: r.entered_at }));
}
