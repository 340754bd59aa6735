import type { Db } from '../../src/platform/db/database.js';

/**
 * Everything OneID and ingest wrote for a workspace, with profile ids replaced by the identifiers each profile holds
 * (ids differ between workspaces and runs; who holds what does not). Two workspaces fed the same records by two
 * different paths must give equal snapshots.
 */
export async function identitySnapshot(db: Db, workspaceId: string) {
  const ids = await db.selectFrom('identifiers').selectAll().where('workspace_id', '=', workspaceId).execute();
  const keyOf = new Map(ids.map((i) => [i.id, `${i.type}:${i.value}`]));
  const members = new Map<number, string[]>();
  for (const i of ids) if (i.profile_id !== null) (members.get(i.profile_id) ?? members.set(i.profile_id, []).get(i.profile_id)!).push(`${i.type}:${i.value}`);
  const who = (profileId: number | null) => (profileId === null ? null : [...(members.get(profileId) ?? [])].sort().join(' | '));
  const byText = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();

  const profiles = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).execute();
  const links = await db.selectFrom('identity_links').selectAll().where('workspace_id', '=', workspaceId).execute();
  const conflicts = await db.selectFrom('identity_conflicts').selectAll().where('workspace_id', '=', workspaceId).execute();
  const events = await db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId).execute();
  const changes = await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', workspaceId).execute();
  const pending = await db.selectFrom('identity_pending').select('identifier_id').where('workspace_id', '=', workspaceId).execute();
  return {
    profiles: byText(
      profiles.map((p) => ({
        who: who(p.id), merged: p.merged_into !== null, traits: p.traits, traitTimes: p.trait_times,
        firstSeen: p.first_seen_at?.toISOString(), lastSeen: p.last_seen_at?.toISOString(),
      })),
    ),
    identifiers: byText(ids.map((i) => ({ key: keyOf.get(i.id), who: who(i.profile_id), ownOrigin: i.origin_profile_id === i.profile_id, firstSeen: i.first_seen_at.toISOString() }))),
    links: byText(links.map((l) => ({ pair: [keyOf.get(l.a), keyOf.get(l.b)].sort(), time: l.event_time.toISOString(), messageId: l.message_id }))),
    conflicts: byText(conflicts.map((c) => ({ pair: [keyOf.get(c.a), keyOf.get(c.b)].sort(), reason: c.reason, messageId: c.message_id }))),
    events: byText(
      events.map((e) => ({
        messageId: e.message_id, type: e.type, event: e.event, anchor: keyOf.get(e.identifier_id), who: who(e.profile_id), userId: e.user_id,
        anonymousId: e.anonymous_id, time: e.timestamp.toISOString(), properties: e.properties, traits: e.traits, context: e.context,
      })),
    ),
    changed: changes.map((c) => who(c.profile_id)).sort(),
    pending: pending.length,
  };
}
