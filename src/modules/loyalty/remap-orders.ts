import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

type Trx = Transaction<DB>;

/**
 * An order's points go where the order went. Rows follow the profile they originated with, but an order paid while
 * two profiles were one was granted to the merged profile; when the merge is undone the order goes back with the
 * identifier that placed it (OneID moves orders before these handlers run), so its grant, ledger entries, lots and
 * pending points move to that profile too and originate there from now on. Returns the profiles that gained or lost
 * an order's points, for their accounts to be rebuilt.
 */
export async function followOrderGrants(trx: Trx, workspaceId: string, profileIds: number[]): Promise<number[]> {
  if (!profileIds.length) return [];
  const { rows } = await sql<{ order_id: string; from_profile: number; to_profile: number }>`
    SELECT g.order_id, g.profile_id AS from_profile, o.profile_id AS to_profile
    FROM orders o JOIN points_order_grants g ON g.workspace_id = o.workspace_id AND g.order_id = o.order_id
    WHERE o.workspace_id = ${workspaceId} AND o.profile_id = ANY(${profileIds}::bigint[]) AND g.profile_id <> o.profile_id
    ORDER BY g.order_id
    FOR UPDATE OF g`.execute(trx);
  if (!rows.length) return [];
  const orders = rows.map((r) => r.order_id);
  const from = rows.map((r) => Number(r.from_profile));
  const to = rows.map((r) => Number(r.to_profile));
  await sql`
    UPDATE points_order_grants AS g SET profile_id = x.to_profile, origin_profile_id = x.to_profile
    FROM unnest(${orders}::text[], ${to}::bigint[]) AS x(order_id, to_profile)
    WHERE g.workspace_id = ${workspaceId} AND g.order_id = x.order_id`.execute(trx);
  const moved = await sql<{ id: number }>`
    UPDATE points_entries AS e SET profile_id = x.to_profile, origin_profile_id = x.to_profile
    FROM unnest(${orders}::text[], ${from}::bigint[], ${to}::bigint[]) AS x(order_id, from_profile, to_profile)
    WHERE e.workspace_id = ${workspaceId} AND e.source_type = 'order' AND e.source_id = x.order_id AND e.profile_id = x.from_profile
    RETURNING e.id`.execute(trx);
  if (moved.rows.length) {
    await sql`
      UPDATE points_lots AS l SET profile_id = e.profile_id, origin_profile_id = e.profile_id
      FROM points_entries e
      WHERE l.workspace_id = ${workspaceId} AND l.entry_id = ANY(${moved.rows.map((r) => r.id)}::bigint[])
        AND e.workspace_id = l.workspace_id AND e.id = l.entry_id`.execute(trx);
  }
  await sql`
    UPDATE points_pending AS p SET profile_id = x.to_profile, origin_profile_id = x.to_profile
    FROM unnest(${orders}::text[], ${from}::bigint[], ${to}::bigint[]) AS x(order_id, from_profile, to_profile)
    WHERE p.workspace_id = ${workspaceId} AND p.source_type = 'order' AND p.source_id = x.order_id AND p.profile_id = x.from_profile`.execute(trx);
  return [...from, ...to];
}
