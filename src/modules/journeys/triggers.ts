import { CronExpressionParser } from 'cron-parser';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { SEGMENT_ENTERED } from '../segments/index.js';
import { enterFromQuery, enterProfiles, liveJourneys, type LiveJourney } from './entries.js';
import type { PropertyFilter } from './schema.js';
import { lockFeedCursor, readEventFeed, readTagFeed, saveFeedCursor } from './event-feed.js';
import { loadDefinition } from './service.js';
import { localDay, localParts, zonedInstant } from './time.js';

export function matchesFilters(properties: Record<string, unknown> | null | undefined, filters: PropertyFilter[]): boolean {
  const props = properties ?? {};
  return filters.every((f) => {
    // Own properties only: a filter on `constructor` or `toString` must not find Object.prototype's function.
    const v = Object.hasOwn(props, f.property) ? props[f.property] : undefined;
    switch (f.op) {
      case 'exists':
        return v !== undefined && v !== null;
      case 'eq':
        return v === f.value || (typeof v === 'number' && Number(f.value) === v);
      case 'neq':
        return !(v === f.value || (typeof v === 'number' && Number(f.value) === v));
      case 'contains':
        return typeof v === 'string' ? v.includes(String(f.value)) : Array.isArray(v) && v.includes(f.value);
      default: {
        const a = Number(v);
        const b = Number(f.value);
        if (v === null || v === undefined || Number.isNaN(a) || Number.isNaN(b)) return false;
        return f.op === 'gt' ? a > b : f.op === 'gte' ? a >= b : f.op === 'lt' ? a < b : a <= b;
      }
    }
  });
}

interface EventRow {
  id: number;
  event: string | null;
  profile_id: number | null;
  properties: Record<string, unknown> | null;
  timestamp: Date;
}

/**
 * Reads the workspace's next events after its cursor and, in one transaction with the cursor's move: enters people
 * on event and segment-entered triggers, wakes people waiting for an event, and exits people who met a goal or an
 * exit criterion. On PostgreSQL the cursor row is locked with SKIP LOCKED, so one worker handles a workspace at a time.
 */
export async function consumeEvents(db: Db, workspaceId: string, now: Date, limit = 2000): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const cursor = await lockFeedCursor(trx, workspaceId, 'events');
    if (!cursor) return 0;
    const { events, next } = await readEventFeed(trx, workspaceId, cursor, limit);
    await saveFeedCursor(trx, workspaceId, 'events', next, now);
    if (events.length === 0) return 0;
    const journeys = await liveJourneys(trx, workspaceId);
    const known = events.filter((e) => e.profile_id !== null && e.event);

    // 1. Goals and exit criteria of people already inside (before new entries, so a trigger event is no goal for itself).
    await applyEventPolicies(trx, workspaceId, known, now);
    // 2. People waiting for one of these events.
    await wakeWaiters(trx, workspaceId, known, now);
    // 3. New entries.
    for (const j of journeys) {
      const t = j.definition.trigger;
      const items = [];
      for (const e of known) {
        if (t.type === 'event' && e.event === t.event && matchesFilters(e.properties, t.filters)) items.push(e);
        else if (t.type === 'segment_entered' && e.event === SEGMENT_ENTERED && e.properties?.segment_id === t.segmentId) items.push(e);
      }
      const trigger = (e: EventRow) => ({ type: t.type, event: e.event, eventId: e.id, properties: e.properties ?? {} });
      await enterProfiles(trx, workspaceId, j, items.map((e) => ({ profileId: e.profile_id!, trigger: trigger(e) })), now);
    }
    return events.length;
  });
}

async function wakeWaiters(db: Db, workspaceId: string, events: EventRow[], now: Date): Promise<void> {
  const names = [...new Set(events.map((e) => e.event!))];
  const profiles = [...new Set(events.map((e) => e.profile_id!))];
  if (!names.length) return;
  const waiting = await db
    .selectFrom('journey_entries')
    .select(['id', 'journey_id', 'version', 'profile_id', 'node_id', 'node_since', 'wait_event'])
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where('wait_event', 'in', names)
    .where(sql<boolean>`profile_id = ANY(${profiles}::bigint[])`) // one parameter, not one per person
    .execute();
  for (const w of waiting) {
    const def = await loadDefinition(db, workspaceId, w.journey_id, w.version);
    const node = def.nodes.find((n) => n.id === w.node_id);
    if (node?.type !== 'wait_for_event') continue;
    const hit = events.find((e) => e.profile_id === w.profile_id && e.event === node.event && e.timestamp >= w.node_since && matchesFilters(e.properties, node.filters));
    if (!hit) continue;
    await db
      .updateTable('journey_entries')
      .set({ due_at: now, wait_event: null, matched_event: JSON.stringify({ event: hit.event, eventId: hit.id, properties: hit.properties ?? {} }) })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', w.id)
      .where('status', '=', 'active')
      .execute();
  }
}

async function applyEventPolicies(db: Db, workspaceId: string, events: EventRow[], now: Date): Promise<void> {
  const profiles = [...new Set(events.map((e) => e.profile_id!))];
  if (!profiles.length) return;
  const active = await db
    .selectFrom('journey_entries')
    .select(['id', 'journey_id', 'version', 'profile_id', 'node_id', 'entered_at'])
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where(sql<boolean>`profile_id = ANY(${profiles}::bigint[])`) // one parameter, not one per person
    .execute();
  for (const a of active) {
    const { policies } = await loadDefinition(db, workspaceId, a.journey_id, a.version);
    for (const [policy, reason] of [[policies.goal, 'goal_met'], [policies.exitCriteria, 'exit_criteria']] as const) {
      if (!policy?.event) continue;
      const hit = events.find((e) => e.profile_id === a.profile_id && e.event === policy.event && e.timestamp >= a.entered_at && matchesFilters(e.properties, policy.filters));
      if (!hit) continue;
      await exitEntry(db, workspaceId, a, reason, now, { event: hit.event, eventId: hit.id });
      break;
    }
  }
}

/** Takes a person out of a journey with a reason (a goal counts as a conversion), recording it on the path. */
export async function exitEntry(
  db: Db,
  workspaceId: string,
  entry: { id: number; journey_id: string; version: number; profile_id: number; node_id: string },
  reason: string,
  now: Date,
  detail: Record<string, unknown> = {},
): Promise<boolean> {
  const updated = await db
    .updateTable('journey_entries')
    .set({ status: 'exited', exit_reason: reason, converted: reason === 'goal_met', finished_at: now, wait_event: null })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', entry.id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n) return false;
  await db
    .insertInto('journey_steps')
    .values({ workspace_id: workspaceId, entry_id: entry.id, journey_id: entry.journey_id, version: entry.version, profile_id: entry.profile_id, node_id: entry.node_id, outcome: `exited:${reason}`, detail: JSON.stringify(detail), at: now })
    .execute();
  return true;
}

/** Tag-applied triggers, from the tag history after the workspace's cursor. */
export async function consumeTagChanges(db: Db, workspaceId: string, now: Date, limit = 2000): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const cursor = await lockFeedCursor(trx, workspaceId, 'tags');
    if (!cursor) return 0;
    const { changes, next } = await readTagFeed(trx, workspaceId, cursor, limit);
    await saveFeedCursor(trx, workspaceId, 'tags', next, now);
    if (!changes.length) return 0;
    for (const j of await liveJourneys(trx, workspaceId)) {
      const t = j.definition.trigger;
      if (t.type !== 'tag_applied') continue;
      const items = changes.filter((c) => c.action === 'apply' && c.tag_id === t.tagId).map((c) => ({ profileId: c.profile_id, trigger: { type: 'tag_applied', tagId: c.tag_id, value: c.value } }));
      await enterProfiles(trx, workspaceId, j, items, now);
    }
    return changes.length;
  });
}

/**
 * Date and cron triggers. Each firing is claimed once by a row keyed (journey, fire key) inserted in the same
 * transaction as its entries, so several workers (or a restart) never enter the same firing twice.
 */
export async function runSchedules(db: Db, journey: LiveJourney & { workspaceId: string; publishedAt: Date }, timeZone: string, now: Date): Promise<number> {
  const t = journey.definition.trigger;
  const ws = journey.workspaceId;
  let fireKey: string;
  let source;
  if (t.type === 'schedule') {
    const fired = CronExpressionParser.parse(t.cron, { currentDate: now, tz: timeZone }).prev().toDate();
    if (fired < journey.publishedAt || now.getTime() - fired.getTime() > 3_600_000) return 0; // fired before publishing, or long missed
    fireKey = fired.toISOString();
    const trigger = sql`jsonb_build_object('type', 'schedule', 'firedAt', ${fireKey}::text)`;
    source = t.segmentId
      ? sql`SELECT profile_id, ${trigger} AS trigger FROM segment_members WHERE workspace_id = ${ws} AND segment_id = ${t.segmentId}`
      : sql`SELECT id AS profile_id, ${trigger} AS trigger FROM profiles WHERE workspace_id = ${ws} AND merged_into IS NULL`;
  } else if (t.type === 'date') {
    const today = localParts(now, timeZone);
    const [hh, mm] = t.at.split(':').map(Number);
    if (now < zonedInstant(today.year, today.month, today.day, hh ?? 9, mm ?? 0, timeZone)) return 0;
    fireKey = localDay(now, timeZone);
    // Entering `offsetDays` after the date means the date was offsetDays ago.
    const dateDay = new Date(Date.parse(`${fireKey}T00:00:00Z`) - t.offsetDays * 86_400_000).toISOString().slice(0, 10);
    const value = sql`substring(traits->>${t.trait} from 1 for 10)`;
    const match = t.match === 'exact' ? sql`${value} = ${dateDay}` : sql`substring(${value} from 6 for 5) = ${dateDay.slice(5)}`;
    source = sql`SELECT id AS profile_id, jsonb_build_object('type', 'date', 'trait', ${t.trait}::text, 'day', ${fireKey}::text) AS trigger
      FROM profiles WHERE workspace_id = ${ws} AND merged_into IS NULL AND traits->>${t.trait} ~ '^\\d{4}-\\d{2}-\\d{2}' AND ${match}`;
  } else {
    return 0;
  }
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto('journey_schedule_runs')
      .values({ workspace_id: ws, journey_id: journey.id, fire_key: fireKey })
      .onConflict((oc) => oc.doNothing())
      .returning('fire_key')
      .executeTakeFirst();
    if (!claimed) return 0;
    const entered = await enterFromQuery(trx, ws, journey, source, now);
    await trx.updateTable('journey_schedule_runs').set({ entered }).where('workspace_id', '=', ws).where('journey_id', '=', journey.id).where('fire_key', '=', fireKey).execute();
    return entered;
  });
}
