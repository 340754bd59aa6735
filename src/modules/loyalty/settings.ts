import type { Db } from '../../platform/db/database.js';
import { invalid } from '../../platform/errors.js';
import { LoyaltySettings } from './schema.js';
import { endOfLocalYear } from './local-dates.js';

/** Settings are read by every points operation: cache them briefly per process (writes here clear the cache). */
const CACHE_MS = 5_000;
const cache = new Map<string, { settings: LoyaltySettings; expires: number }>();

export async function getLoyaltySettings(db: Db, workspaceId: string): Promise<LoyaltySettings> {
  const hit = cache.get(workspaceId);
  if (hit && hit.expires > Date.now()) return hit.settings;
  const row = await db.selectFrom('loyalty_settings').select('settings').where('workspace_id', '=', workspaceId).executeTakeFirst();
  const settings = LoyaltySettings.parse(row?.settings ?? {});
  cache.set(workspaceId, { settings, expires: Date.now() + CACHE_MS });
  return settings;
}

/** Replaces the settings given (top-level sections merge with the stored ones). */
export async function updateLoyaltySettings(db: Db, workspaceId: string, patch: Record<string, unknown>): Promise<LoyaltySettings> {
  const current = await db.selectFrom('loyalty_settings').select('settings').where('workspace_id', '=', workspaceId).executeTakeFirst();
  const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)); // absent, not reset
  const parsed = LoyaltySettings.safeParse({ ...(current?.settings ?? {}), ...given });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`invalid loyalty settings: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const ids = parsed.data.eventRules.map((r) => r.id);
  if (new Set(ids).size !== ids.length) throw invalid('invalid loyalty settings: eventRules ids must be unique');
  await db
    .insertInto('loyalty_settings')
    .values({ workspace_id: workspaceId, settings: JSON.stringify(parsed.data) })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ settings: JSON.stringify(parsed.data), updated_at: new Date() }))
    .execute();
  cache.delete(workspaceId);
  return parsed.data;
}

/** When a credit earned at `at` expires under the policy (null: never); years are the workspace zone's. */
export function expiryFor(settings: LoyaltySettings, at: Date, timeZone: string): Date | null {
  const { expiry } = settings;
  if (expiry.mode === 'lot') return new Date(at.getTime() + expiry.days * 86_400_000);
  if (expiry.mode === 'end_of_year') return endOfLocalYear(at, timeZone, expiry.years);
  return null;
}
