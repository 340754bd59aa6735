import type { Db } from '../../platform/db/database.js';
import { appendProfileEvents } from '../ingest/index.js';
import { profilesWithPointsExpiring } from './points.js';
import { getLoyaltySettings } from './settings.js';
import { localDay, workspaceZone } from './local-dates.js';

/**
 * "Your points expire soon": for every profile with points expiring within the notice period, records a
 * `Points Expiring` track event (properties: points, expiresAt) that journeys can start on. The message id names
 * the profile and the expiry date (the workspace's date: lots ending at 07:00 and 09:00 of one Shanghai day are two
 * UTC dates), so each expiry date is announced once however often the job runs.
 */
export async function announceExpiringPoints(db: Db, workspaceId: string, now = new Date()): Promise<number> {
  const settings = await getLoyaltySettings(db, workspaceId);
  if (settings.expiry.mode === 'none' || settings.expiry.notifyDaysBefore === 0) return 0;
  const due = await profilesWithPointsExpiring(db, workspaceId, settings.expiry.notifyDaysBefore, now);
  const zone = await workspaceZone(db, workspaceId);
  let recorded = 0;
  for (let i = 0; i < due.length; i += 500) {
    const batch = due.slice(i, i + 500);
    recorded += await db.transaction().execute((trx) =>
      appendProfileEvents(
        trx,
        workspaceId,
        batch.map((d) => ({
          profileId: d.profileId,
          event: 'Points Expiring',
          properties: { points: d.points, expiresAt: d.firstExpiresAt.toISOString() },
          timestamp: now,
          messageId: `points-expiring:${d.profileId}:${localDay(d.firstExpiresAt, zone)}`,
        })),
      ),
    );
  }
  return recorded;
}
