import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/platform/db/schema.js';
import type { ProfileChangeScope } from '../../src/modules/identity/index.js';

const EVENTS = ['Product Viewed', 'Product Added', 'App Opened', 'Ad Clicked', 'Product Reviewed'];
let seq = 0;

/** One new event per profile (one in ten a new profile with a page view), stored as ingest would; returns the scopes. */
export async function mixLoad(db: Kysely<DB>, ws: string, ids: number[]): Promise<{ ids: number[]; scopes: Map<number, ProfileChangeScope> }> {
  const now = new Date();
  const scopes = new Map<number, ProfileChangeScope>();
  const rows: Array<{ profile: number; type: string; event: string }> = [];
  const fresh = Math.round(ids.length / 10);
  const { rows: created } = await sql<{ id: number }>`
    INSERT INTO profiles (workspace_id, id, traits, trait_times, first_seen_at, last_seen_at)
    SELECT ${ws}, nextval('profile_id_seq'), '{}', '{}', ${now}, ${now} FROM generate_series(1, ${fresh}) RETURNING id`.execute(db);
  const known = ids.slice(0, ids.length - fresh);
  for (const id of known) {
    const event = EVENTS[seq++ % EVENTS.length]!;
    rows.push({ profile: id, type: 'track', event });
    scopes.set(id, { events: [event], traits: false });
  }
  for (const { id } of created) {
    rows.push({ profile: id, type: 'page', event: 'Home' });
    scopes.set(id, { events: ['Home', 'Page Viewed'], traits: false });
  }
  await sql`INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, "timestamp", received_at, properties)
    SELECT ${ws}, 'mix-' || ${String(Date.now())} || '-' || x.i, x.type, x.event, 0, x.profile, ${now}, ${now}, '{"sku":"LJ-SERUM-30"}'
    FROM unnest(${rows.map((r) => r.profile)}::bigint[], ${rows.map((r) => r.type)}::text[], ${rows.map((r) => r.event)}::text[]) WITH ORDINALITY AS x(profile, type, event, i)`.execute(db);
  return { ids: [...known, ...created.map((c) => c.id)], scopes };
}

