import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../platform/db/database.js';

/**
 * Inbound callbacks (WeChat push, WeCom): WeChat repeats a push it got no answer to within 5 s (three times), so each
 * fact is recorded once by its key, and a handler that runs long still answers in time while its work goes on.
 */
export async function firstSighting(db: Db, workspaceId: string, configId: string, dedupKey: string): Promise<boolean> {
  const row = await db
    .insertInto('channel_inbound_seen')
    .values({ workspace_id: workspaceId, channel_config_id: configId, dedup_key: dedupKey })
    .onConflict((oc) => oc.columns(['workspace_id', 'channel_config_id', 'dedup_key']).doNothing())
    .returning('dedup_key')
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets a sighting whose processing failed, so the provider's retry is processed instead of dropped. */
export async function forgetSighting(db: Db, workspaceId: string, configId: string, dedupKey: string): Promise<void> {
  await db
    .deleteFrom('channel_inbound_seen')
    .where('workspace_id', '=', workspaceId)
    .where('channel_config_id', '=', configId)
    .where('dedup_key', '=', dedupKey)
    .execute();
}

/** Answers within `budgetMs`: the work's own answer if it finishes in time, else `fallback` while the work completes. */
export async function withinBudget<T>(work: Promise<T>, budgetMs: number, fallback: T, onLateError: (err: unknown) => void): Promise<T> {
  const timer = new AbortController();
  const late = sleep(budgetMs, fallback, { signal: timer.signal }).catch(() => fallback);
  work.catch(onLateError);
  try {
    return await Promise.race([work, late]);
  } finally {
    timer.abort();
  }
}
