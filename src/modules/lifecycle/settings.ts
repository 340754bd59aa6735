import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { DEFAULT_SETTINGS, LifecycleSettings } from './schema.js';

export async function getLifecycleSettings(db: Kysely<DB>, workspaceId: string): Promise<LifecycleSettings> {
  const row = await db.selectFrom('lifecycle_settings').select(['aipl', 'rfm']).where('workspace_id', '=', workspaceId).executeTakeFirst();
  if (!row) return DEFAULT_SETTINGS;
  const parsed = LifecycleSettings.safeParse({ aipl: row.aipl, rfm: row.rfm });
  return parsed.success ? parsed.data : DEFAULT_SETTINGS;
}

export async function saveLifecycleSettings(db: Kysely<DB>, workspaceId: string, settings: LifecycleSettings): Promise<LifecycleSettings> {
  const values = { aipl: JSON.stringify(settings.aipl), rfm: JSON.stringify(settings.rfm), updated_at: new Date() };
  await db
    .insertInto('lifecycle_settings')
    .values({ workspace_id: workspaceId, ...values })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet(values))
    .execute();
  return settings;
}
