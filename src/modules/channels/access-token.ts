import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { seal, unseal } from './secret-box.js';

/**
 * Provider access tokens (WeChat `cgi-bin/token`, WeCom `gettoken`): cached in the database per workspace and app, so
 * every process shares one token (WeChat invalidates the previous token on each refresh), refreshed a margin before
 * expiry, and refreshed by one caller at a time: in-process callers share one promise, processes serialise on the
 * row lock and re-check the row once they hold it.
 */
export interface FetchedToken {
  accessToken: string;
  expiresInSeconds: number;
}

export interface TokenSource {
  workspaceId: string;
  provider: 'wechat_oa' | 'wecom';
  appId: string;
  fetch(): Promise<FetchedToken>;
}

/** Refresh this long before the provider's expiry, so no call goes out with a token about to lapse. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/** Refreshes under way, per database handle: two handles (like two processes) meet on the row lock instead. */
const inFlightByDb = new WeakMap<Db, Map<string, Promise<string>>>();

export async function getAccessToken(db: Db, source: TokenSource, opts: { forceRefresh?: boolean; rejectToken?: string } = {}): Promise<string> {
  if (!opts.forceRefresh) {
    const cached = await readToken(db, source);
    if (cached) return cached;
  }
  const key = `${source.workspaceId}\u0000${source.provider}\u0000${source.appId}`;
  let inFlight = inFlightByDb.get(db);
  if (!inFlight) inFlightByDb.set(db, (inFlight = new Map()));
  let pending = inFlight.get(key);
  if (!pending) {
    const flights = inFlight;
    pending = refresh(db, source, opts.rejectToken).finally(() => flights.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function readToken(db: Db, source: TokenSource): Promise<string | undefined> {
  const row = await db
    .selectFrom('channel_access_tokens')
    .select(['sealed_token', 'expires_at'])
    .where('workspace_id', '=', source.workspaceId)
    .where('provider', '=', source.provider)
    .where('app_id', '=', source.appId)
    .executeTakeFirst();
  if (!row?.sealed_token || !row.expires_at) return undefined;
  if (row.expires_at.getTime() - REFRESH_MARGIN_MS <= Date.now()) return undefined;
  return unseal(row.sealed_token);
}

/**
 * Takes the row lock, then looks again: another process may have refreshed while we waited. `rejectToken` is the token
 * the provider just refused (40001): a stored token equal to it is not reused even if its expiry says it is fresh.
 */
async function refresh(db: Db, source: TokenSource, rejectToken?: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await sql`INSERT INTO channel_access_tokens (workspace_id, provider, app_id) VALUES (${source.workspaceId}, ${source.provider}, ${source.appId})
              ON CONFLICT DO NOTHING`.execute(trx);
    const row = await trx
      .selectFrom('channel_access_tokens')
      .select(['sealed_token', 'expires_at'])
      .where('workspace_id', '=', source.workspaceId)
      .where('provider', '=', source.provider)
      .where('app_id', '=', source.appId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.sealed_token && row.expires_at && row.expires_at.getTime() - REFRESH_MARGIN_MS > Date.now()) {
      const current = unseal(row.sealed_token);
      if (current !== rejectToken) return current;
    }
    const fetched = await source.fetch();
    await trx
      .updateTable('channel_access_tokens')
      .set({
        sealed_token: seal(fetched.accessToken),
        expires_at: new Date(Date.now() + fetched.expiresInSeconds * 1000),
        refreshed_at: new Date(),
      })
      .where('workspace_id', '=', source.workspaceId)
      .where('provider', '=', source.provider)
      .where('app_id', '=', source.appId)
      .execute();
    return fetched.accessToken;
  });
}
