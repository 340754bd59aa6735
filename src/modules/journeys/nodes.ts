import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { appendProfileEvents } from '../profiles/index.js';
import { evaluate, eventHorizon, eventNamesOf, loadProfileStates, workspaceContext, type Rule } from '../rules/index.js';
import { applyTag, removeTag } from '../tags/index.js';
import type { JourneyDefinition, JourneyNode } from './schema.js';
import { isTimeZone, nextAllowedSend, nextTimeOfDay } from './time.js';

/** What the mover knows about one claimed person while moving them along. */
export interface EntryState {
  workspaceId: string;
  id: number;
  journeyId: string;
  version: number;
  profileId: number;
  nodeId: string;
  nodeSince: Date;
  arrived: boolean;
  matchedEvent: Record<string, unknown> | null;
  trigger: Record<string, unknown>;
}

export interface OutboxIntent {
  kind: 'send' | 'webhook' | 'points' | 'coupon';
  channel: string | null;
  marketing: boolean;
  payload: Record<string, unknown>;
  dueAt: Date;
}

/** The result of a node: go on by a branch, wait until a time (optionally for an event), or leave the journey. */
export type NodeResult =
  | { kind: 'next'; branch: string; outcome: string; detail?: Record<string, unknown>; outbox?: OutboxIntent }
  | { kind: 'wait'; until: Date; waitEvent?: string; outcome: string; detail?: Record<string, unknown> }
  | { kind: 'exit'; reason: string; outcome: string };

export interface MoveContext {
  trx: Transaction<DB>;
  now: Date;
  workspaceTimeZone: string;
  traits: Record<string, unknown>;
  /** Marketing sends queued in this chunk but not yet written, by `profile/channel` (they count toward caps). */
  queuedSends: Map<string, number>;
  /** channel configuration id → channel kind, for caps and the outbox. */
  channelOf(configId: string): Promise<string | null>;
}

/** The idempotency key of one node's effect for one entry: (journey version, profile, node, entry). */
export const effectKey = (e: EntryState) => `journey:${e.journeyId}:v${e.version}:p${e.profileId}:n${e.nodeId}:e${e.id}`;

export function profileTimeZone(ctx: MoveContext, which: 'profile' | 'workspace'): string {
  const own = ctx.traits.timezone;
  return which === 'profile' && isTimeZone(own) ? own : ctx.workspaceTimeZone;
}

export async function ruleHolds(trx: Transaction<DB>, workspaceId: string, profileId: number, rule: Rule, now: Date): Promise<boolean> {
  const conditions = [rule.condition];
  const states = await loadProfileStates(trx, workspaceId, [profileId], eventNamesOf(conditions), now, eventHorizon(conditions, now));
  const state = states.get(profileId);
  if (!state) return false;
  return evaluate(rule.condition, state, await workspaceContext(trx, workspaceId, now));
}

/** A stable draw in [0, 100) per entry and node: a retried chunk sends the person down the same branch. */
function draw(entryId: number, nodeId: string): number {
  const h = createHash('sha1').update(`${entryId}:${nodeId}`).digest();
  return (h.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

const durationMs = (d: { days: number; hours: number; minutes: number; seconds: number }) => (((d.days * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000;

/** Runs one node for one person. Waits return on arrival and go on when woken (entry.arrived). */
export async function runNode(node: JourneyNode, def: JourneyDefinition, entry: EntryState, ctx: MoveContext): Promise<NodeResult> {
  const { trx, now } = ctx;
  const ws = entry.workspaceId;
  switch (node.type) {
    case 'wait':
      if (entry.arrived) return { kind: 'next', branch: 'next', outcome: 'waited' };
      return { kind: 'wait', until: new Date(now.getTime() + durationMs(node.duration)), outcome: 'waiting' };
    case 'wait_until': {
      if (entry.arrived) return { kind: 'next', branch: 'next', outcome: 'waited' };
      const tz = profileTimeZone(ctx, node.timezone);
      return { kind: 'wait', until: nextTimeOfDay(now, node.time, tz, node.weekdays), outcome: 'waiting', detail: { timeZone: tz } };
    }
    case 'wait_for_event':
      if (entry.arrived) {
        return entry.matchedEvent
          ? { kind: 'next', branch: 'event', outcome: 'event_received', detail: entry.matchedEvent }
          : { kind: 'next', branch: 'timeout', outcome: 'timed_out' };
      }
      return { kind: 'wait', until: new Date(now.getTime() + node.timeoutHours * 3_600_000), waitEvent: node.event, outcome: 'waiting_for_event', detail: { event: node.event } };
    case 'condition': {
      const holds = await ruleHolds(trx, ws, entry.profileId, node.rule, now);
      return { kind: 'next', branch: holds ? 'yes' : 'no', outcome: holds ? 'yes' : 'no' };
    }
    case 'split': {
      const x = draw(entry.id, node.id);
      let acc = 0;
      const variant = node.variants.find((v) => (acc += v.percent) > x) ?? node.variants[node.variants.length - 1]!;
      return { kind: 'next', branch: variant.key, outcome: `variant:${variant.key}` };
    }
    case 'send':
      return sendNode(node, def, entry, ctx);
    case 'add_tag':
    case 'remove_tag':
      try {
        const opts = { source: 'journey' as const, actor: `journey:${entry.journeyId}`, now };
        if (node.type === 'add_tag') await applyTag(trx as unknown as Db, ws, node.tagId, [entry.profileId], { ...opts, value: node.value });
        else await removeTag(trx as unknown as Db, ws, node.tagId, [entry.profileId], opts);
        return { kind: 'next', branch: 'next', outcome: node.type === 'add_tag' ? 'tag_added' : 'tag_removed', detail: { tagId: node.tagId } };
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return { kind: 'next', branch: 'next', outcome: `failed:${err.code}`, detail: { message: err.message } };
      }
    case 'set_trait':
      await appendProfileEvents(trx, ws, [{ profileId: entry.profileId, type: 'identify', traits: node.traits, messageId: `${effectKey(entry)}:traits`, properties: { journeyId: entry.journeyId } }]);
      return { kind: 'next', branch: 'next', outcome: 'traits_set', detail: { traits: Object.keys(node.traits) } };
    case 'webhook':
      return { kind: 'next', branch: 'next', outcome: 'queued', outbox: { kind: 'webhook', channel: 'webhook', marketing: false, payload: { channelId: node.channelId, payload: node.payload }, dueAt: now } };
    case 'award_points':
      return { kind: 'next', branch: 'next', outcome: 'queued', outbox: { kind: 'points', channel: null, marketing: false, payload: { points: node.points, reason: node.reason }, dueAt: now } };
    case 'issue_coupon':
      return { kind: 'next', branch: 'next', outcome: 'queued', outbox: { kind: 'coupon', channel: null, marketing: false, payload: { couponTemplateId: node.couponTemplateId }, dueAt: now } };
    case 'assign_guide':
      // Organisation (guides' books of customers) comes later: the assignment is recorded on the path for it.
      return { kind: 'next', branch: 'next', outcome: 'guide_assigned', detail: { guideId: node.guideId ?? null, note: node.note ?? null } };
    case 'exit':
      return { kind: 'exit', reason: 'exit_node', outcome: 'exited:exit_node' };
  }
}

async function sendNode(node: Extract<JourneyNode, { type: 'send' }>, def: JourneyDefinition, entry: EntryState, ctx: MoveContext): Promise<NodeResult> {
  const { trx, now } = ctx;
  const channel = await ctx.channelOf(node.channelId);
  if (!channel) return { kind: 'next', branch: 'next', outcome: 'failed:no_channel', detail: { channelId: node.channelId } };
  const marketing = !node.transactional;
  if (marketing) {
    const quiet = def.policies.quietHours;
    if (quiet.enabled) {
      const tz = profileTimeZone(ctx, quiet.timezone);
      const allowed = nextAllowedSend(now, quiet.start, quiet.end, tz);
      if (allowed > now) return { kind: 'wait', until: allowed, outcome: 'held:quiet_hours', detail: { until: allowed.toISOString(), timeZone: tz } };
    }
    const cap = def.policies.frequencyCap;
    const since = new Date(now.getTime() - cap.periodHours * 3_600_000);
    const sent = await trx
      .selectFrom('journey_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', entry.workspaceId)
      .where('profile_id', '=', entry.profileId)
      .where('channel', '=', channel)
      .where('kind', '=', 'send')
      .where('marketing', '=', true)
      .where('created_at', '>', since)
      .executeTakeFirstOrThrow();
    const capKey = `${entry.workspaceId}/${entry.profileId}/${channel}`;
    const count = Number(sent.n) + (ctx.queuedSends.get(capKey) ?? 0);
    if (count >= cap.perChannel) {
      return { kind: 'next', branch: 'next', outcome: 'skipped:frequency_cap', detail: { channel, sent: count, cap: cap.perChannel } };
    }
    ctx.queuedSends.set(capKey, (ctx.queuedSends.get(capKey) ?? 0) + 1);
  }
  const payload = {
    channelId: node.channelId,
    templateId: node.templateId,
    fallback: node.fallback ?? null,
    transactional: node.transactional,
    consent: def.policies.consent,
    event: entry.matchedEvent ?? (entry.trigger.properties ? { name: entry.trigger.event, properties: entry.trigger.properties } : null),
  };
  return { kind: 'next', branch: 'next', outcome: 'queued', detail: { channel }, outbox: { kind: 'send', channel, marketing, payload, dueAt: now } };
}
