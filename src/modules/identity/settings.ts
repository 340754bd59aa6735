import type { Db } from '../../platform/db/database.js';
import { invalid } from '../../platform/errors.js';
import { DEFAULT_IDENTIFIER_RULES, rulesFrom, type IdentifierRule, type IdentifierRules } from './identifiers.js';

const cache = new Map<string, { rules: IdentifierRules; expires: number }>();
const CACHE_MS = 5_000;

/** The workspace's identifier priorities and limits: defaults overridden by `identifier_settings` rows. */
export async function loadIdentifierRules(db: Db, workspaceId: string): Promise<IdentifierRules> {
  const hit = cache.get(workspaceId);
  if (hit && hit.expires > Date.now()) return hit.rules;
  const rows = await db.selectFrom('identifier_settings').selectAll().where('workspace_id', '=', workspaceId).execute();
  const overrides: Record<string, IdentifierRule> = {};
  for (const r of rows) overrides[r.type] = { priority: r.priority, maxPerProfile: r.max_per_profile };
  const rules = rulesFrom(overrides);
  cache.set(workspaceId, { rules, expires: Date.now() + CACHE_MS });
  return rules;
}

export interface IdentifierSetting extends IdentifierRule {
  type: string;
  isDefault: boolean;
}

export async function listIdentifierSettings(db: Db, workspaceId: string): Promise<IdentifierSetting[]> {
  const rows = await db.selectFrom('identifier_settings').selectAll().where('workspace_id', '=', workspaceId).execute();
  const byType = new Map<string, IdentifierSetting>();
  for (const [type, rule] of Object.entries(DEFAULT_IDENTIFIER_RULES)) byType.set(type, { type, ...rule, isDefault: true });
  for (const r of rows) byType.set(r.type, { type: r.type, priority: r.priority, maxPerProfile: r.max_per_profile, isDefault: false });
  return [...byType.values()].sort((a, b) => b.priority - a.priority || a.type.localeCompare(b.type));
}

/**
 * Changes a type's priority or limit. Applies to links resolved from now on and to any component recomputed later;
 * existing profiles are not re-partitioned in bulk.
 */
export async function setIdentifierSetting(db: Db, workspaceId: string, setting: { type: string } & IdentifierRule): Promise<IdentifierSetting> {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(setting.type)) throw invalid(`invalid identifier type "${setting.type}"`, [{ path: 'type', message: 'letters, digits and _' }]);
  await db
    .insertInto('identifier_settings')
    .values({ workspace_id: workspaceId, type: setting.type, priority: setting.priority, max_per_profile: setting.maxPerProfile })
    .onConflict((oc) => oc.columns(['workspace_id', 'type']).doUpdateSet({ priority: setting.priority, max_per_profile: setting.maxPerProfile }))
    .execute();
  cache.delete(workspaceId);
  return { ...setting, isDefault: false };
}
