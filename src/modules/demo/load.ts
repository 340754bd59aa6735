import { sql } from 'kysely';
import { AppError } from '../../platform/errors.js';
import type { Db } from '../../platform/db/database.js';
import { storeMessages, prepareMessages } from '../ingest/index.js';
import { upsertOrders } from '../orders/index.js';
import { createKey, createWorkspace, listWorkspaces } from '../workspaces/index.js';
import { createUser } from '../users/index.js';
import { backfillLifecycle, computeRfm, DEFAULT_SETTINGS, saveLifecycleSettings } from '../lifecycle/index.js';
import { warmOverviewRollup } from '../analytics/index.js';
import { withRulesLockExclusive } from '../segments/index.js';
import { loadDemoJourneys } from './journeys.js';
import { BRAND, DEMO_AIPL_EVENTS, GUIDES, STORES } from './catalogue.js';
import { generateMembers, generateProspects } from './generate.js';
import { seededRandom } from './random.js';

export const DEMO_WORKSPACE_ID = 'ws_demo_lanji';
/** Well-known keys of the demo workspace, so the README's examples work as written. Revoke them for real use. */
export const DEMO_WRITE_KEY = 'wk_demo_lanji_write_key';
export const DEMO_ADMIN_TOKEN = 'at_demo_lanji_admin_token';
export const DEMO_LOGIN = { email: 'demo@siyu.dev', password: 'siyu-demo' };

export interface DemoProgress {
  /** Loading members (with their events and orders), then computing their AIPL history, RFM and journeys. */
  step: 'members' | 'lifecycle';
  members: number;
  totalMembers: number;
  events: number;
  orders: number;
}

export interface DemoOptions {
  members?: number;
  seed?: number;
  now?: Date;
  onProgress?: (p: DemoProgress) => void;
  /** Another workspace id than the well-known one (tests load several demo brands side by side). */
  workspaceId?: string;
}

/** Loads of the demo brand running in this process (the server's rules worker waits while one runs). */
let loadsRunning = 0;
export function demoBrandIsLoading(): boolean {
  return loadsRunning > 0;
}
/** How far the latest load of this process has got, while one runs (the console shows it); null otherwise. */
let latestProgress: DemoProgress | null = null;
export function demoLoadProgress(): DemoProgress | null {
  return loadsRunning > 0 ? latestProgress : null;
}

/** Days of AIPL history the demo arrives with: the overview's default period. */
const LIFECYCLE_DAYS = 30;

/**
 * Loads the demo brand: a cosmetics brand with ~10,000 members, ~100,000 events over six months, ~20,000 orders,
 * three stores and ten guides, and ~3,000 anonymous prospects reached by ads and search. Written through the same
 * ingest and order paths as real data.
 */
export async function loadDemoBrand(db: Db, opts: DemoOptions = {}) {
  loadsRunning++;
  latestProgress = { step: 'members', members: 0, totalMembers: opts.members ?? 10_000, events: 0, orders: 0 };
  try {
    return await loadDemoBrandNow(db, {
      ...opts,
      onProgress: (p) => {
        latestProgress = p;
        opts.onProgress?.(p);
      },
    });
  } finally {
    loadsRunning--;
  }
}

async function loadDemoBrandNow(db: Db, opts: DemoOptions) {
  const totalMembers = opts.members ?? 10_000;
  const now = (opts.now ?? new Date()).getTime();
  const rand = seededRandom(opts.seed ?? 20261123);
  // Resumable: a load interrupted part-way (server stopped) picks up where it was; messages and orders are idempotent.
  const workspaceId = opts.workspaceId ?? DEMO_WORKSPACE_ID;
  const existing = await db.selectFrom('workspaces').select(['id', 'settings']).where('id', '=', workspaceId).executeTakeFirst();
  if (existing && (existing.settings as { demoComplete?: boolean }).demoComplete) throw new AppError('conflict', `the demo brand is already loaded (workspace ${workspaceId})`);
  const suffix = workspaceId === DEMO_WORKSPACE_ID ? '' : `_${workspaceId}`;
  const keys = { writeKey: DEMO_WRITE_KEY + suffix, adminToken: DEMO_ADMIN_TOKEN + suffix };
  if (!existing) {
    const ws = await createWorkspace(db, { id: workspaceId, name: BRAND.name, timezone: BRAND.timezone });
    await createKey(db, ws.id, 'write', 'demo write key (well-known: revoke for real use)', keys.writeKey);
    await createKey(db, ws.id, 'admin', 'demo admin token (well-known: revoke for real use)', keys.adminToken);
    await db.insertInto('stores').values(STORES.map((s) => ({ workspace_id: ws.id, id: s.id, name: s.name, city: s.city, address: s.address }))).execute();
    await db.insertInto('guides').values(GUIDES.map((g) => ({ workspace_id: ws.id, id: g.id, store_id: g.storeId, name: g.name, wecom_user_id: g.wecomUserId }))).execute();
    await createUser(db, ws.id, { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password, role: 'owner', name: '演示运营' });
    const stages = DEFAULT_SETTINGS.aipl.stages;
    await saveLifecycleSettings(db, ws.id, {
      ...DEFAULT_SETTINGS,
      aipl: { ...DEFAULT_SETTINGS.aipl, stages: { A: [...stages.A, ...DEMO_AIPL_EVENTS.A], I: [...stages.I, ...DEMO_AIPL_EVENTS.I], P: [...stages.P, ...DEMO_AIPL_EVENTS.P], L: [...stages.L, ...DEMO_AIPL_EVENTS.L] } },
    });
  }
  const ws = { id: workspaceId };

  const progress: DemoProgress = { step: 'members', members: 0, totalMembers, events: 0, orders: 0 };
  const chunk = 500;
  for (let from = 0; from < totalMembers; from += chunk) {
    const count = Math.min(chunk, totalMembers - from);
    const { messages, orders } = generateMembers(rand, from, count, now);
    const { messages: prepared, errors } = prepareMessages(messages, { receivedAt: new Date(now) });
    if (errors.length) throw new Error(`demo generator produced an invalid message: ${JSON.stringify(errors[0])}`);
    const stored = await storeMessages(db, ws.id, prepared);
    for (let k = 0; k < orders.length; k += 1000) await upsertOrders(db, ws.id, orders.slice(k, k + 1000));
    progress.members += count;
    progress.events += stored.accepted;
    progress.orders += orders.length;
    opts.onProgress?.({ ...progress });
  }
  // Prospects: visitors reached by ads and search who have not joined (their own random stream: members stay the same).
  const prospects = generateProspects(seededRandom((opts.seed ?? 20261123) + 1), Math.round(totalMembers * 0.3), now);
  for (let k = 0; k < prospects.length; k += 2000) {
    const { messages: prepared, errors } = prepareMessages(prospects.slice(k, k + 2000), { receivedAt: new Date(now) });
    if (errors.length) throw new Error(`demo generator produced an invalid message: ${JSON.stringify(errors[0])}`);
    progress.events += (await storeMessages(db, ws.id, prepared)).accepted;
  }
  // The brand arrives as if it had been running: AIPL history for the overview's period, RFM now, two journeys.
  progress.step = 'lifecycle';
  opts.onProgress?.({ ...progress });
  // Fresh statistics first: embedded PostgreSQL has no autovacuum, and planning the set-based passes below (and the
  // console's first reads) on "1 row" estimates for 100,000 events made them several times slower.
  for (const table of ['profiles', 'identifiers', 'events', 'orders']) await sql`ANALYZE ${sql.table(table)}`.execute(db);
  await computeDemoRules(db, ws.id, new Date(now));
  if (!(await db.selectFrom('journeys').select('id').where('workspace_id', '=', ws.id).executeTakeFirst())) await loadDemoJourneys(db, ws.id, new Date(now));
  // The overview's daily roll-up, so the first visitor does not wait for it.
  await warmOverviewRollup(db, ws.id);
  await sql`UPDATE workspaces SET settings = settings || '{"demoComplete": true}'::jsonb WHERE id = ${ws.id}`.execute(db);
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events WHERE workspace_id = ${ws.id}`.execute(db);
  return { workspaceId: ws.id, members: totalMembers, events: rows[0]?.n ?? 0, orders: progress.orders, ...keys, login: DEMO_LOGIN };
}

/**
 * The demo's AIPL history and RFM scores. The server loads the demo while its rules worker already runs, and the
 * worker's real-time passes write the same stage and RFM rows for the profiles the load queued: unlocked, the two
 * deadlocked or collided on profile_lifecycle's key (2 of 5 loads on PostgreSQL, session 11). Each step holds the
 * workspace's rules lock exclusively, as the daily pass's steps do, so real-time passes wait for it.
 */
export async function computeDemoRules(db: Db, workspaceId: string, now: Date): Promise<void> {
  await withRulesLockExclusive(db, workspaceId, (trx) => backfillLifecycle(trx, workspaceId, now, { days: LIFECYCLE_DAYS }));
  await withRulesLockExclusive(db, workspaceId, (trx) => computeRfm(trx, workspaceId, now));
}

/** On first start (no workspace at all), or after an interrupted first load: load the demo brand. */
export async function loadDemoIfEmpty(db: Db, opts: DemoOptions = {}) {
  const all = await listWorkspaces(db);
  const demo = await db.selectFrom('workspaces').select('settings').where('id', '=', DEMO_WORKSPACE_ID).executeTakeFirst();
  const interrupted = demo && !(demo.settings as { demoComplete?: boolean }).demoComplete;
  if (all.length && !interrupted) return null;
  return loadDemoBrand(db, opts);
}
