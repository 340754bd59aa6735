import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { evalContext, type EvalContext } from './clock.js';

/** The evaluation context of a workspace at `now`: days are counted in the workspace's time zone. */
export async function workspaceContext(db: Kysely<DB>, workspaceId: string, now: Date): Promise<EvalContext> {
  const row = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst();
  return evalContext(now, row?.timezone ?? 'UTC');
}
