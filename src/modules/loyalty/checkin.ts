import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError, invalid } from '../../platform/errors.js';
import { credit, debit, lockAccount } from './ledger.js';
import { touchProfiles } from './changes.js';
import { memberOf } from './benefits.js';
import { expiryFor, getLoyaltySettings } from './settings.js';
import { workspaceZone } from './local-dates.js';

/**
 * Daily check-in (签到). Days are calendar days in the workspace's time zone. The streak of a day is the streak of
 * the day before plus one; bonuses are paid on the day a streak reaches a configured length (repeating every
 * `cycleDays` if set). A make-up check-in fills a missed day within the window for a points cost and re-links the
 * streaks after it; it earns no points itself. All under the profile's points-account lock.
 */
async function dayIn(db: Db, workspaceId: string, at: Date): Promise<string> {
  const ws = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst();
  return new Intl.DateTimeFormat('en-CA', { timeZone: ws?.timezone ?? 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

const shift = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
// Read dates as text: a `date` parsed into a JS Date would shift with the process time zone.
const dayText = sql<string>`day::text`.as('day');
const dayString = (d: string) => d.slice(0, 10);
/** A YYYY-MM-DD the calendar has: Date.parse rolls 2026-02-30 into March, and the date column refuses it (a 500). */
const isDay = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && d >= '0001' && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && shift(d, 0) === d;

async function originOf(db: Db, workspaceId: string, profileId: number): Promise<number> {
  return (await memberOf(db, workspaceId, profileId))?.origin_profile_id ?? profileId;
}

export async function checkIn(db: Db, workspaceId: string, profileId: number, now = new Date()) {
  const settings = await getLoyaltySettings(db, workspaceId);
  const day = await dayIn(db, workspaceId, now);
  const origin = await originOf(db, workspaceId, profileId);
  return db.transaction().execute(async (trx) => {
    await lockAccount(trx, workspaceId, profileId);
    const recent = await trx.selectFrom('checkins').select([dayText, 'streak']).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId)
      .where('day', '>=', shift(day, -1)).where('day', '<=', day).execute();
    if (recent.some((r) => dayString(r.day) === day)) throw new AppError('conflict', `already checked in on ${day}`);
    const streak = (recent.find((r) => dayString(r.day) === shift(day, -1))?.streak ?? 0) + 1;
    const { checkin: rules } = settings;
    const position = rules.cycleDays ? ((streak - 1) % rules.cycleDays) + 1 : streak;
    const bonus = rules.streakBonuses.filter((b) => b.day === position).reduce((s, b) => s + b.points, 0);
    const points = rules.points + bonus;
    await trx.insertInto('checkins').values({ workspace_id: workspaceId, origin_profile_id: origin, profile_id: profileId, day, streak, points }).execute();
    if (points > 0) {
      await credit(trx, workspaceId, { profileId, points, kind: 'earn', reason: bonus ? `check-in, day ${position} bonus` : 'check-in', sourceType: 'checkin', sourceId: day, idempotencyKey: `checkin:${origin}:${day}`, expiresAt: expiryFor(settings, now, await workspaceZone(trx, workspaceId)) });
    }
    await touchProfiles(trx, workspaceId, [profileId]);
    return { day, streak, points, bonus };
  });
}

export async function makeUpCheckIn(db: Db, workspaceId: string, profileId: number, day: string, now = new Date()) {
  if (!isDay(day)) throw invalid('day must be a date, YYYY-MM-DD', [{ path: 'day', message: 'not a date' }]);
  const settings = await getLoyaltySettings(db, workspaceId);
  const today = await dayIn(db, workspaceId, now);
  const age = (Date.parse(today) - Date.parse(day)) / 86_400_000;
  if (!(age >= 1 && age <= settings.checkin.makeUpWindowDays)) {
    throw invalid(`a make-up check-in must be for one of the last ${settings.checkin.makeUpWindowDays} days`, [{ path: 'day', message: 'outside the make-up window' }]);
  }
  const origin = await originOf(db, workspaceId, profileId);
  return db.transaction().execute(async (trx) => {
    await lockAccount(trx, workspaceId, profileId);
    const rows = await trx.selectFrom('checkins').select(['origin_profile_id', dayText, 'streak']).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId)
      .where('day', '>=', shift(day, -1)).orderBy('day').execute();
    if (rows.some((r) => dayString(r.day) === day)) throw new AppError('conflict', `already checked in on ${day}`);
    if (settings.checkin.makeUpCost > 0) {
      await debit(trx, workspaceId, { profileId, points: settings.checkin.makeUpCost, kind: 'redeem', reason: `make-up check-in ${day}`, sourceType: 'checkin', sourceId: day, idempotencyKey: `makeup:${origin}:${day}` }, now);
    }
    let streak = (rows.find((r) => dayString(r.day) === shift(day, -1))?.streak ?? 0) + 1;
    await trx.insertInto('checkins').values({ workspace_id: workspaceId, origin_profile_id: origin, profile_id: profileId, day, streak, points: 0, make_up: true }).execute();
    // Re-link the run of days that follows the filled gap.
    let next = shift(day, 1);
    for (const row of rows.filter((r) => dayString(r.day) > day)) {
      if (dayString(row.day) !== next) break;
      streak += 1;
      await trx.updateTable('checkins').set({ streak }).where('workspace_id', '=', workspaceId).where('origin_profile_id', '=', row.origin_profile_id).where('day', '=', next).execute();
      next = shift(next, 1);
    }
    await touchProfiles(trx, workspaceId, [profileId]);
    return { day, streak, cost: settings.checkin.makeUpCost };
  });
}

/** A member's check-in calendar for a month (YYYY-MM) and current streak. */
export async function checkinCalendar(db: Db, workspaceId: string, profileId: number, month: string, now = new Date()) {
  if (!isDay(`${month}-01`)) throw invalid('month must be YYYY-MM', [{ path: 'month', message: 'not a month' }]);
  const rows = await db.selectFrom('checkins').select([dayText, 'streak', 'points', 'make_up']).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId)
    .where('day', '>=', `${month}-01`).where('day', '<', shift(`${month}-28`, 4).slice(0, 8) + '01').orderBy('day').execute();
  const today = await dayIn(db, workspaceId, now);
  const last = await db.selectFrom('checkins').select([dayText, 'streak']).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).orderBy('day', 'desc').limit(1).executeTakeFirst();
  const current = last && (dayString(last.day) === today || dayString(last.day) === shift(today, -1)) ? last.streak : 0;
  return { month, currentStreak: current, checkedInToday: !!last && dayString(last.day) === today, days: rows.map((r) => ({ day: dayString(r.day), streak: r.streak, points: r.points, makeUp: r.make_up })) };
}
