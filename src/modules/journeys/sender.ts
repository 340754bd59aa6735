import { sql, type Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { JourneyOutboxTable } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { deliver, getChannelConfig, isUnsubscribed, type ChannelMessage, type SendResult } from '../channels/index.js';
import { earnPoints, issueCoupon } from '../loyalty/index.js';
import { getProfile } from '../profiles/index.js';
import { profileTags } from '../tags/index.js';
import { getTemplate, renderTemplate, TemplateData, type TemplateBody } from '../templates/index.js';

export type OutboxRow = Selectable<JourneyOutboxTable>;

const MAX_ATTEMPTS = 6;
export const ADDRESS_TYPE: Record<string, string> = { email: 'email', sms: 'phone', wechat: 'wechat_openid', wecom: 'wecom_external_userid' };

/** What became of one effect: done, failed for good, or to be tried again later. */
export type Outcome = { status: 'done' | 'failed' | 'retry'; outcome: string; result: Record<string, unknown> };

/**
 * Claims due outbox rows: pending ones, and in-flight ones whose lease ran out (a sender died mid-call). The claim
 * is committed before any provider is called, so the row records that a call may be under way; the channel layer
 * records the call itself before and after (channel_deliveries), keyed by the same idempotency key.
 */
export async function claimOutbox(db: Db, now: Date, limit: number, leaseMs: number, workspaceId?: string): Promise<OutboxRow[]> {
  const { rows } = await sql<OutboxRow>`
    UPDATE journey_outbox o SET status = 'in_flight', attempts = o.attempts + 1, lease_until = ${new Date(now.getTime() + leaseMs)}, updated_at = ${now}
    FROM (SELECT workspace_id, idempotency_key FROM journey_outbox
          WHERE ((status = 'pending' AND due_at <= ${now}) OR (status = 'in_flight' AND lease_until <= ${now}))
            ${workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``}
          ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) c
    WHERE o.workspace_id = c.workspace_id AND o.idempotency_key = c.idempotency_key
    RETURNING o.*`.execute(db);
  return rows;
}

/** Extends the lease of claimed rows this claim still holds (same attempt, still in flight). */
export async function renewLease(db: Db, rows: OutboxRow[], until: Date): Promise<void> {
  if (rows.length === 0) return;
  const held = rows.map((r) => ({ ws: r.workspace_id, key: r.idempotency_key, attempts: r.attempts }));
  await sql`UPDATE journey_outbox o SET lease_until = ${until}
    FROM jsonb_to_recordset(${JSON.stringify(held)}::jsonb) AS r(ws text, key text, attempts int)
    WHERE o.workspace_id = ANY(${[...new Set(held.map((h) => h.ws))]}::text[]) AND o.idempotency_key = ANY(${held.map((h) => h.key)}::text[]) AND o.workspace_id = r.ws AND o.idempotency_key = r.key AND o.status = 'in_flight' AND o.attempts = r.attempts`.execute(db);
}

/** Delivers one claimed row and records the answer, once: only the claim that still holds the row may record. */
export async function deliverOutboxRow(db: Db, publicUrl: string, row: OutboxRow): Promise<void> {
  await recordOutcomes(db, [{ row, outcome: await outcomeOfRow(db, publicUrl, row) }]);
}

/** Performs one row (the per-row path: points, coupons, and the reference for sends): errors become outcomes. */
export async function outcomeOfRow(db: Db, publicUrl: string, row: OutboxRow): Promise<Outcome> {
  try {
    return await perform(db, publicUrl, row);
  } catch (err) {
    return outcomeOfError(err);
  }
}

/** A typed error is final (`failed:<code>`); anything else (a lost connection…) is tried again. */
export function outcomeOfError(err: unknown): Outcome {
  return err instanceof AppError
    ? { status: 'failed', outcome: `failed:${err.code}`, result: { message: err.message } }
    : { status: 'retry', outcome: 'retry', result: { message: String((err as Error).message ?? err) } };
}

/**
 * Records outcomes of claimed rows in one statement, set-based: over the outbox rows still held by these claims
 * (status `in_flight` and the same attempt number: a claim that lost its lease to another sender records nothing),
 * it deletes the finished ones, updates the rest, and inserts the path steps of the rows it did record, except
 * retries (back off 5 s × 2^attempt).
 */
export async function recordOutcomes(db: Db, done: Array<{ row: OutboxRow; outcome: Outcome }>): Promise<void> {
  if (done.length === 0) return;
  const now = new Date();
  const once = new Map(done.map((d) => [`${d.row.workspace_id}\u0000${d.row.idempotency_key}\u0000${d.row.attempts}`, d])); // one step per claim, even if named twice
  const rows = [...once.values()].map(({ row, outcome }) => {
    const o = outcome.status === 'retry' && row.attempts >= MAX_ATTEMPTS ? { ...outcome, status: 'failed' as const, outcome: `failed:${outcome.outcome}` } : outcome;
    return {
      ws: row.workspace_id, key: row.idempotency_key, attempts: row.attempts, entry_id: row.entry_id, journey_id: row.journey_id, version: row.version,
      profile_id: row.profile_id, node_id: row.node_id, status: o.status === 'retry' ? 'pending' : o.status, outcome: o.outcome, result: o.result,
      due_at: o.status === 'retry' ? new Date(now.getTime() + Math.min(3_600_000, 2 ** row.attempts * 5_000)).toISOString() : null,
      detail: { kind: row.kind, ...o.result },
    };
  });
  const held = sql`o.workspace_id = ANY(${[...new Set(rows.map((r) => r.ws))]}::text[]) AND o.idempotency_key = ANY(${rows.map((r) => r.key)}::text[])
    AND o.workspace_id = r.ws AND o.idempotency_key = r.key AND o.status = 'in_flight' AND o.attempts = r.attempts`;
  // A row done for good and not a marketing send (those count towards frequency caps) is deleted rather than marked:
  // the path step below keeps its result, the delivery record its call, and the outbox stays as small as the work
  // still to do (claims do not wade through a million finished rows). The rest is updated, as before.
  const finished = sql`r.status = 'done' AND NOT o.marketing`;
  // When every row is finished (the common case) the UPDATE branch is left out: matching nothing, it still cost a
  // bitmap scan of the due index and of the workspace's whole primary-key range, dead entries of every outbox row
  // deleted since the last vacuum included (28 ms after 100,000 sends, growing with the bulk: at 1,000,000 the
  // statement took 778 ms).
  const allFinished = [...once.values()].every(({ row }, i) => rows[i]!.status === 'done' && !row.marketing);
  // One statement (its own transaction): the outbox rows recorded, and the path steps of those it did record.
  await sql`
    WITH r AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS r(ws text, key text, attempts int, status text, due_at timestamptz, result jsonb, entry_id bigint, journey_id text, version int,
          profile_id bigint, node_id text, outcome text, detail jsonb)
    ),
    gone AS (
      DELETE FROM journey_outbox o USING r WHERE ${held} AND ${finished}
      RETURNING o.workspace_id, o.idempotency_key, o.attempts
    ),
    ${allFinished ? sql`recorded AS (SELECT * FROM gone)` : sql`kept AS (
      UPDATE journey_outbox o SET status = r.status, due_at = COALESCE(r.due_at, o.due_at), lease_until = NULL, result = r.result, updated_at = ${now}
      FROM r WHERE ${held} AND NOT (${finished})
      RETURNING o.workspace_id, o.idempotency_key, o.attempts
    ),
    recorded AS (SELECT * FROM gone UNION ALL SELECT * FROM kept)`}
    INSERT INTO journey_steps (workspace_id, entry_id, journey_id, version, profile_id, node_id, outcome, detail, at)
    SELECT r.ws, r.entry_id, r.journey_id, r.version, r.profile_id, r.node_id, r.outcome, r.detail, ${now}
    FROM r JOIN recorded d ON d.workspace_id = r.ws AND d.idempotency_key = r.key AND d.attempts = r.attempts
    WHERE r.status <> 'pending'`.execute(db);
}

async function perform(db: Db, publicUrl: string, row: OutboxRow): Promise<Outcome> {
  const p = row.payload as Record<string, unknown>;
  const context = { journeyId: row.journey_id, version: row.version, nodeId: row.node_id, entryId: row.entry_id };
  switch (row.kind) {
    case 'points': {
      const r = await earnPoints(db, row.workspace_id, { profileId: row.profile_id, points: Number(p.points), reason: String(p.reason), sourceType: 'journey', sourceId: row.journey_id, idempotencyKey: row.idempotency_key });
      return { status: 'done', outcome: 'points_awarded', result: { points: Number(p.points), replayed: r.replayed } };
    }
    case 'coupon': {
      const c = await issueCoupon(db, row.workspace_id, String(p.couponTemplateId), row.profile_id, { source: 'journey', sourceId: row.journey_id, idempotencyKey: row.idempotency_key });
      return { status: 'done', outcome: 'coupon_issued', result: { couponId: c.id, code: c.code } };
    }
    case 'webhook': {
      const message: ChannelMessage = { channel: 'webhook', payload: { ...(p.payload as Record<string, unknown>), profileId: row.profile_id, ...context } };
      const out = await deliver(db, row.workspace_id, publicUrl, { configId: String(p.channelId), message, recipient: { to: '-', profileId: row.profile_id }, idempotencyKey: row.idempotency_key, transactional: true, context });
      return fromResult(out.result, out.deliveryId, 'webhook');
    }
    case 'send':
      return sendMessage(db, publicUrl, row, p, context);
  }
}

export function fromResult(result: SendResult, deliveryId: string, channel: string, via = 'primary'): Outcome {
  if (result.ok) return { status: 'done', outcome: via === 'fallback' ? 'sent:fallback' : 'sent', result: { deliveryId, channel, providerMessageId: result.providerMessageId } };
  const detail = { deliveryId, channel, errorKind: result.error.kind, errorCode: result.error.code, message: result.error.message };
  return { status: result.error.kind === 'retryable' ? 'retry' : 'failed', outcome: `failed:${result.error.code}`, result: detail };
}

interface Target {
  channelId: string;
  templateId: string;
}

/** A message: primary channel, or the fallback when the person is unreachable there (no address, no consent, refused). */
async function sendMessage(db: Db, publicUrl: string, row: OutboxRow, p: Record<string, unknown>, context: Record<string, unknown>): Promise<Outcome> {
  const ws = row.workspace_id;
  const profile = await getProfile(db, ws, row.profile_id);
  const tags = await profileTags(db, ws, profile.id);
  const addresses: Record<string, string> = {};
  for (const i of [...profile.identifiers].sort((a, b) => b.id - a.id)) addresses[i.type] ??= i.value;
  const transactional = p.transactional === true;
  const consent = (p.consent ?? { trait: 'consent', requireOptIn: false }) as { trait: string; requireOptIn: boolean };
  const event = (p.event ?? undefined) as { name?: string; event?: string; properties?: Record<string, unknown> } | undefined;
  const data = TemplateData.parse({
    profile: { id: profile.id, traits: profile.traits },
    tags: [...new Set(tags.map((t) => t.tagName))],
    event: event ? { name: event.name ?? event.event, properties: event.properties ?? {} } : undefined,
  });

  const attempt = async (target: Target, via: string): Promise<Outcome & { unreachable?: boolean }> => {
    const config = await getChannelConfig(db, ws, target.channelId);
    const channel = config.channel;
    const to = channel === 'webhook' ? String(profile.id) : addresses[ADDRESS_TYPE[channel] ?? ''];
    const unreachable = (code: string) => ({ status: 'failed' as const, outcome: `unreachable:${code}`, result: { channel, code }, unreachable: true });
    if (!to) return unreachable('no_address');
    if (!transactional) {
      const given = (profile.traits[consent.trait] as Record<string, unknown> | undefined)?.[channel];
      if (given === false || (consent.requireOptIn && given !== true)) return unreachable('no_consent');
      if (await isUnsubscribed(db, ws, channel, to)) return unreachable('unsubscribed');
    }
    const template = await getTemplate(db, ws, target.templateId);
    const rendered = renderTemplate({ channel: template.channel, parts: template.parts } as TemplateBody, data);
    const key = via === 'fallback' ? `${row.idempotency_key}:fallback` : row.idempotency_key;
    const out = await deliver(db, ws, publicUrl, { configId: target.channelId, message: rendered.message, recipient: { to, profileId: profile.id }, idempotencyKey: key, transactional, context: { ...context, templateId: target.templateId } });
    const outcome = fromResult(out.result, out.deliveryId, channel, via);
    return { ...outcome, unreachable: !out.result.ok && out.result.error.kind !== 'retryable' };
  };

  const primary = await attempt({ channelId: String(p.channelId), templateId: String(p.templateId) }, 'primary');
  const fallback = p.fallback as Target | null;
  if (!primary.unreachable || !fallback) return primary;
  const second = await attempt(fallback, 'fallback');
  return { ...second, result: { ...second.result, primary: primary.result } };
}
