import { sql, type Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { JourneysTable } from '../../platform/db/schema.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { JourneyDefinition, JourneyInput, JourneyLayout, JourneyView } from './schema.js';
import { parseDefinition, referenceIssues } from './validate.js';

type JourneyRow = Selectable<JourneysTable>;

async function getRow(db: Db, workspaceId: string, id: string): Promise<JourneyRow> {
  const row = await db.selectFrom('journeys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`journey ${id}`);
  return row;
}

async function latestVersion(db: Db, workspaceId: string, row: JourneyRow) {
  return db
    .selectFrom('journey_versions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('journey_id', '=', row.id)
    .where('version', '=', row.latest_version)
    .executeTakeFirstOrThrow();
}

async function view(db: Db, workspaceId: string, row: JourneyRow): Promise<JourneyView> {
  const latest = await latestVersion(db, workspaceId, row);
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    latestVersion: row.latest_version,
    publishedVersion: row.published_version,
    templateKey: row.template_key,
    definition: latest.definition,
    layout: latest.layout ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const layoutJson = (layout: JourneyLayout | undefined) => (layout === undefined ? null : JSON.stringify(layout));

export async function createJourney(db: Db, workspaceId: string, input: JourneyInput, templateKey: string | null = null): Promise<JourneyView> {
  const definition = parseDefinition(input.definition);
  const id = newId('jr');
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('journeys').values({ workspace_id: workspaceId, id, name: input.name, status: 'draft', latest_version: 1, template_key: templateKey }).execute();
    await trx.insertInto('journey_versions').values({ workspace_id: workspaceId, journey_id: id, version: 1, definition: JSON.stringify(definition), layout: layoutJson(input.layout) }).execute();
  });
  return getJourney(db, workspaceId, id);
}

export const getJourney = async (db: Db, workspaceId: string, id: string) => view(db, workspaceId, await getRow(db, workspaceId, id));

export async function listJourneys(db: Db, workspaceId: string, opts: { status?: string | undefined } = {}): Promise<JourneyView[]> {
  let q = db.selectFrom('journeys').selectAll().where('workspace_id', '=', workspaceId);
  if (opts.status) q = q.where('status', '=', opts.status as JourneyRow['status']);
  const rows = await q.orderBy('created_at', 'desc').limit(500).execute();
  return Promise.all(rows.map((r) => view(db, workspaceId, r)));
}

/** Edits a journey: a draft version is changed in place; a published one gets a new draft version beside it. */
export async function updateJourney(db: Db, workspaceId: string, id: string, input: Partial<JourneyInput>): Promise<JourneyView> {
  const row = await getRow(db, workspaceId, id);
  if (row.status === 'archived') throw new AppError('conflict', `journey ${id} is archived`);
  await db.transaction().execute(async (trx) => {
    if (input.name) await trx.updateTable('journeys').set({ name: input.name, updated_at: new Date() }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
    const latest = await latestVersion(trx, workspaceId, row);
    if (input.definition === undefined) {
      // Positions alone are presentation: they change in place, even on a published version.
      if (input.layout !== undefined) await trx.updateTable('journey_versions').set({ layout: layoutJson(input.layout) }).where('workspace_id', '=', workspaceId).where('journey_id', '=', id).where('version', '=', latest.version).execute();
      return;
    }
    const definition = JSON.stringify(parseDefinition(input.definition));
    const layout = input.layout !== undefined ? layoutJson(input.layout) : latest.layout === null ? null : JSON.stringify(latest.layout);
    if (latest.published_at === null) {
      await trx
        .updateTable('journey_versions')
        .set({ definition, layout })
        .where('workspace_id', '=', workspaceId)
        .where('journey_id', '=', id)
        .where('version', '=', latest.version)
        .execute();
    } else {
      const version = latest.version + 1;
      await trx.insertInto('journey_versions').values({ workspace_id: workspaceId, journey_id: id, version, definition, layout }).execute();
      await trx.updateTable('journeys').set({ latest_version: version, updated_at: new Date() }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
    }
  });
  return getJourney(db, workspaceId, id);
}

/**
 * Publishes the latest version (or resumes a paused journey whose latest version is already live). New entrants
 * use the published version; people already inside finish on the version they entered.
 */
export async function publishJourney(db: Db, workspaceId: string, id: string): Promise<JourneyView> {
  const row = await getRow(db, workspaceId, id);
  if (row.status === 'archived') throw new AppError('conflict', `journey ${id} is archived`);
  const latest = await latestVersion(db, workspaceId, row);
  const definition = parseDefinition(latest.definition);
  const issues = await referenceIssues(db, workspaceId, definition);
  if (issues.length) throw invalid(`journey ${id} names what does not exist: ${issues.map((d) => `${d.path}: ${d.message}`).join('; ')}`, issues);
  const now = new Date();
  await db.transaction().execute(async (trx) => {
    await ensureCursors(trx, workspaceId);
    if (latest.published_at === null) {
      await trx
        .updateTable('journey_versions')
        .set({ published_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('journey_id', '=', id)
        .where('version', '=', latest.version)
        .execute();
    }
    await trx
      .updateTable('journeys')
      .set({ status: 'published', published_version: latest.version, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute();
  });
  return getJourney(db, workspaceId, id);
}

/** Paused: nobody enters, and people inside are held where they are until the journey is published again. */
export async function pauseJourney(db: Db, workspaceId: string, id: string): Promise<JourneyView> {
  const row = await getRow(db, workspaceId, id);
  if (row.status !== 'published') throw new AppError('conflict', `journey ${id} is ${row.status}, not published`);
  await db.updateTable('journeys').set({ status: 'paused', updated_at: new Date() }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
  return getJourney(db, workspaceId, id);
}

/** Archived: nobody enters; people inside leave with the reason `journey_archived`. */
export async function archiveJourney(db: Db, workspaceId: string, id: string): Promise<JourneyView> {
  await getRow(db, workspaceId, id);
  const now = new Date();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('journeys').set({ status: 'archived', updated_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
    await sql`WITH gone AS (
        UPDATE journey_entries SET status = 'exited', exit_reason = 'journey_archived', finished_at = ${now}
        WHERE workspace_id = ${workspaceId} AND journey_id = ${id} AND status = 'active'
        RETURNING id, version, profile_id, node_id)
      INSERT INTO journey_steps (workspace_id, entry_id, journey_id, version, profile_id, node_id, outcome, at)
      SELECT ${workspaceId}, id, ${id}, version, profile_id, node_id, 'exited:journey_archived', ${now} FROM gone`.execute(trx);
  });
  return getJourney(db, workspaceId, id);
}

export async function listVersions(db: Db, workspaceId: string, id: string) {
  await getRow(db, workspaceId, id);
  const rows = await db.selectFrom('journey_versions').selectAll().where('workspace_id', '=', workspaceId).where('journey_id', '=', id).orderBy('version', 'desc').execute();
  return rows.map((r) => ({ version: r.version, definition: r.definition, createdAt: r.created_at, publishedAt: r.published_at }));
}

/** Versions never change once published, so a worker may keep them in memory. */
const definitionCache = new Map<string, JourneyDefinition>();

export async function loadDefinition(db: Db, workspaceId: string, journeyId: string, version: number): Promise<JourneyDefinition> {
  const key = `${workspaceId}/${journeyId}/${version}`;
  const cached = definitionCache.get(key);
  if (cached) return cached;
  const row = await db
    .selectFrom('journey_versions')
    .select(['definition', 'published_at'])
    .where('workspace_id', '=', workspaceId)
    .where('journey_id', '=', journeyId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  const definition = parseDefinition(row.definition);
  if (row.published_at) {
    if (definitionCache.size > 5000) definitionCache.clear();
    definitionCache.set(key, definition);
  }
  return definition;
}

/** The trigger cursors start at the newest event and tag change: publishing never replays history. */
export async function ensureCursors(db: Db, workspaceId: string): Promise<void> {
  await sql`INSERT INTO journey_cursors (workspace_id, source, last_id)
    VALUES (${workspaceId}, 'events', COALESCE((SELECT max(id) FROM events WHERE workspace_id = ${workspaceId}), 0)),
           (${workspaceId}, 'tags', COALESCE((SELECT max(id) FROM tag_history WHERE workspace_id = ${workspaceId}), 0))
    ON CONFLICT DO NOTHING`.execute(db);
}
