import type { Db } from '../../platform/db/database.js';
import {
  deliverMany,
  type AnswerRecorders,
  openChannelConfigs,
  unsubscribedAddresses,
  type BatchDeliveryOutcome,
  type CallLimiter,
  type ChannelMessage,
  type DeliveryRequest,
  type OpenChannelConfig,
} from '../channels/index.js';
import { getTemplates, loadProfilesForTemplate, renderTemplate, templateDataOf, type BatchProfile } from '../templates/index.js';
import { ADDRESS_TYPE, fromResult, outcomeOfError, outcomeOfRow, recordOutcomes, type Outcome, type OutboxRow } from './sender.js';

export interface BatchSendOptions {
  /** Provider calls in flight at once (per claimed batch, unless a limiter is shared). */
  concurrency?: number;
  /** Shared by batches under way at once, so the sender as a whole keeps to one bound. */
  limiter?: CallLimiter;
  /** Calls made but not yet recorded, shared the same way (see deliverMany). */
  unrecorded?: CallLimiter;
  /** Group commits of answers, shared the same way. */
  recorders?: AnswerRecorders;
}

interface Target {
  channelId: string;
  templateId: string;
}

type Attempt = Outcome & { unreachable?: boolean };
/** One message ready for the channel layer, or what became of it before that (unreachable, missing template…). */
type Prepared = { row: OutboxRow; request: DeliveryRequest; channel: string } | { row: OutboxRow; outcome: Attempt };

/**
 * Delivers a claimed batch of outbox rows with set-based reads and writes: per workspace, the people (merges followed,
 * identifiers, tags, traits), channel configurations and templates are loaded once; consent and unsubscribes are
 * checked for the whole batch; the channel layer records every attempt before and after in multi-row statements and
 * calls providers with bounded concurrency (deliverMany); people unreachable on their first channel go through the
 * fallback as a second round (`<key>:fallback`); and every outcome is recorded in one transaction. Points and coupons
 * go through the loyalty module one by one, as before. Same keys, same answers as the per-row path.
 */
export async function deliverOutboxBatch(db: Db, publicUrl: string, claimed: OutboxRow[], opts: BatchSendOptions = {}): Promise<void> {
  // A row named twice is performed once (by its latest claim: only that one may record).
  const byKey = new Map<string, OutboxRow>();
  for (const r of claimed) {
    const k = `${r.workspace_id}\u0000${r.idempotency_key}`;
    const seen = byKey.get(k);
    if (!seen || r.attempts > seen.attempts) byKey.set(k, r);
  }
  const rows = [...byKey.values()];
  const done: Array<{ row: OutboxRow; outcome: Outcome }> = [];
  for (const ws of [...new Set(rows.map((r) => r.workspace_id))]) {
    const mine = rows.filter((r) => r.workspace_id === ws);
    try {
      done.push(...(await workspaceBatch(db, publicUrl, ws, mine, opts)));
    } catch (err) {
      // The batch could not be prepared (a lost connection…): every row is tried again (or fails after the last attempt).
      const outcome = outcomeOfError(err);
      done.push(...mine.map((row) => ({ row, outcome: outcome.status === 'failed' ? { ...outcome, status: 'retry' as const, outcome: 'retry' } : outcome })));
    }
  }
  await recordOutcomes(db, done);
}

async function workspaceBatch(db: Db, publicUrl: string, ws: string, rows: OutboxRow[], opts: BatchSendOptions): Promise<Array<{ row: OutboxRow; outcome: Outcome }>> {
  const out: Array<{ row: OutboxRow; outcome: Outcome }> = [];
  const sends = rows.filter((r) => r.kind === 'send');
  const hooks = rows.filter((r) => r.kind === 'webhook');
  const others = rows.filter((r) => r.kind !== 'send' && r.kind !== 'webhook');

  const targetsOf = (r: OutboxRow) => {
    const p = r.payload as Record<string, unknown>;
    const fallback = p.fallback as Target | null | undefined;
    return { primary: { channelId: String(p.channelId), templateId: String(p.templateId) }, fallback: fallback ?? null };
  };
  const channelIds = [...hooks.map((r) => String((r.payload as Record<string, unknown>).channelId)), ...sends.flatMap((r) => { const t = targetsOf(r); return [t.primary.channelId, ...(t.fallback ? [t.fallback.channelId] : [])]; })];
  const templateIds = sends.flatMap((r) => { const t = targetsOf(r); return [t.primary.templateId, ...(t.fallback ? [t.fallback.templateId] : [])]; });
  const [configs, templates, profiles] = await Promise.all([
    openChannelConfigs(db, ws, channelIds),
    getTemplates(db, ws, templateIds),
    loadProfilesForTemplate(db, ws, sends.map((r) => r.profile_id)),
  ]);
  // Every request is under the claimed outbox row, committed `in_flight` and leased before any call: that row is the
  // record that a call may be under way, so a delivery not on record yet is written once, with its answer
  // (DeliveryRequest.claimedByCaller); a killed sender leaves the row to be claimed again under the same key.
  const deliver = (requests: DeliveryRequest[]) => deliverMany(db, ws, publicUrl, requests, { concurrency: opts.concurrency ?? 32, configs, ...(opts.limiter ? { limiter: opts.limiter } : {}), ...(opts.unrecorded ? { unrecorded: opts.unrecorded } : {}), ...(opts.recorders ? { recorders: opts.recorders } : {}) });

  // Webhook nodes: one transactional call each, to the node's channel.
  const hookRequests: Array<{ row: OutboxRow; request: DeliveryRequest }> = [];
  for (const row of hooks) {
    const p = row.payload as Record<string, unknown>;
    const context = contextOf(row);
    if (!configs.has(String(p.channelId))) {
      out.push({ row, outcome: notFound(`channel ${String(p.channelId)}`) });
      continue;
    }
    const message: ChannelMessage = { channel: 'webhook', payload: { ...(p.payload as Record<string, unknown>), profileId: row.profile_id, ...context } };
    hookRequests.push({ row, request: { configId: String(p.channelId), message, recipient: { to: '-', profileId: row.profile_id }, idempotencyKey: row.idempotency_key, transactional: true, context, claimedByCaller: true } });
  }

  // Sends, first round: every message on its primary channel.
  const prepare = async (items: Array<{ row: OutboxRow; target: Target }>, via: 'primary' | 'fallback'): Promise<Prepared[]> => {
    const looked = items.map(({ row, target }) => ({ row, target, config: configs.get(target.channelId), profile: profiles.get(row.profile_id) }));
    const pairs = looked.flatMap(({ row, config, profile }) => {
      const to = config && profile ? addressOf(config, profile) : undefined;
      return to && !(row.payload as Record<string, unknown>).transactional ? [{ channel: config!.channel, address: to }] : [];
    });
    const unsubscribed = await unsubscribedAddresses(db, ws, pairs);
    return looked.map(({ row, target, config, profile }) => prepareOne(row, target, via, config, profile, templates, unsubscribed));
  };
  const first = await prepare(sends.map((row) => ({ row, target: targetsOf(row).primary })), 'primary');
  const primaryOutcomes = await run(deliver, [...hookRequests.map((h) => ({ ...h, channel: 'webhook' })), ...first], 'primary');
  const needFallback: Array<{ row: OutboxRow; target: Target; primary: Attempt }> = [];
  for (const { row, outcome } of primaryOutcomes) {
    const fallback = row.kind === 'send' ? targetsOf(row).fallback : null;
    if (outcome.unreachable && fallback) needFallback.push({ row, target: fallback, primary: outcome });
    else out.push({ row, outcome: strip(outcome) });
  }

  // Second round: the fallback channel for those unreachable on the first (no address, no consent, refused).
  if (needFallback.length) {
    const primaryOf = new Map(needFallback.map((n) => [n.row.idempotency_key, n.primary]));
    const second = await run(deliver, await prepare(needFallback, 'fallback'), 'fallback');
    for (const { row, outcome } of second) {
      out.push({ row, outcome: { ...strip(outcome), result: { ...outcome.result, primary: primaryOf.get(row.idempotency_key)!.result } } });
    }
  }

  // Points and coupons: the loyalty module, one by one (few per batch), as before.
  for (const row of others) out.push({ row, outcome: await outcomeOfRow(db, publicUrl, row) });
  return out;
}

const strip = ({ unreachable: _, ...outcome }: Attempt): Outcome => outcome;
const notFound = (what: string): Attempt => ({ status: 'failed', outcome: 'failed:not_found', result: { message: `${what} not found` } });
const contextOf = (row: OutboxRow) => ({ journeyId: row.journey_id, version: row.version, nodeId: row.node_id, entryId: row.entry_id });
const addressOf = (config: OpenChannelConfig, profile: BatchProfile): string | undefined =>
  config.channel === 'webhook' ? String(profile.id) : profile.addresses[ADDRESS_TYPE[config.channel] ?? ''];

/** Channel-layer round: the prepared requests go out together; each answer becomes the row's outcome. */
async function run(
  deliver: (requests: DeliveryRequest[]) => Promise<BatchDeliveryOutcome[]>,
  prepared: Prepared[],
  via: 'primary' | 'fallback',
): Promise<Array<{ row: OutboxRow; outcome: Attempt }>> {
  const ready = prepared.filter((p): p is Extract<Prepared, { request: DeliveryRequest }> => 'request' in p);
  const answers = ready.length ? await deliver(ready.map((p) => p.request)) : [];
  const byKey = new Map(ready.map((p, i) => [p.request.idempotencyKey, { channel: p.channel, answer: answers[i]! }]));
  return prepared.map((p) => {
    if ('outcome' in p) return { row: p.row, outcome: p.outcome };
    const { channel, answer } = byKey.get(p.request.idempotencyKey)!;
    if (answer.eventsError) return { row: p.row, outcome: { status: 'retry', outcome: 'retry', result: { message: `profile events: ${answer.eventsError}` } } };
    const outcome = fromResult(answer.result, answer.deliveryId, channel, via);
    return { row: p.row, outcome: { ...outcome, unreachable: !answer.result.ok && answer.result.error.kind !== 'retryable' } };
  });
}

/** The checks of one message before the channel layer: address, consent, unsubscribe, template; then the render. */
function prepareOne(
  row: OutboxRow,
  target: Target,
  via: 'primary' | 'fallback',
  config: OpenChannelConfig | undefined,
  profile: BatchProfile | undefined,
  templates: Awaited<ReturnType<typeof getTemplates>>,
  unsubscribed: Set<string>,
): Prepared {
  const p = row.payload as Record<string, unknown>;
  if (!profile) return { row, outcome: notFound(`profile ${row.profile_id}`) };
  if (!config) return { row, outcome: notFound(`channel ${target.channelId}`) };
  const channel = config.channel;
  const unreachable = (code: string): Prepared => ({ row, outcome: { status: 'failed', outcome: `unreachable:${code}`, result: { channel, code }, unreachable: true } });
  const to = addressOf(config, profile);
  if (!to) return unreachable('no_address');
  const transactional = p.transactional === true;
  if (!transactional) {
    const consent = (p.consent ?? { trait: 'consent', requireOptIn: false }) as { trait: string; requireOptIn: boolean };
    const given = (profile.traits[consent.trait] as Record<string, unknown> | undefined)?.[channel];
    if (given === false || (consent.requireOptIn && given !== true)) return unreachable('no_consent');
    if (unsubscribed.has(`${channel}\u0000${to}`)) return unreachable('unsubscribed');
  }
  const template = templates.get(target.templateId);
  if (!template) return { row, outcome: notFound(`template ${target.templateId}`) };
  const event = (p.event ?? undefined) as { name?: string; event?: string; properties?: Record<string, unknown> } | undefined;
  let message: ChannelMessage;
  try {
    message = renderTemplate(template.body, templateDataOf(profile, event ? { name: event.name ?? event.event, properties: event.properties } : undefined)).message;
  } catch (err) {
    return { row, outcome: outcomeOfError(err) };
  }
  const key = via === 'fallback' ? `${row.idempotency_key}:fallback` : row.idempotency_key;
  const context = { ...contextOf(row), templateId: target.templateId };
  return { row, channel, request: { configId: target.channelId, message, recipient: { to, profileId: profile.id }, idempotencyKey: key, transactional, context, claimedByCaller: true } };
}
