import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { raiseStagesForEvents, refreshStages } from '../lifecycle/index.js';
import {
  dependencyOrder,
  emptyNeeds,
  evaluate,
  eventHorizon,
  loadProfileStates,
  needsOf,
  parseRule,
  workspaceContext,
  type Condition,
  type ConditionNeeds,
  type EvalContext,
  type ProfileState,
  type Rule,
  type StatePart,
} from '../rules/index.js';
import { applyRuleTagChanges, liveRuleTags, type RuleTagChange } from '../tags/index.js';
import { applySegmentChanges, liveRuleSegments, type SegmentChange } from './materialise.js';

/**
 * The real-time pass: re-decides, for a batch of changed profiles, the rule tags and segments their change can
 * affect, from their own rows (loading only what those rules read).
 */
export interface Owner {
  key: string;
  kind: 'tag' | 'segment';
  id: string;
  rule: Rule;
  value: string;
  needs: ConditionNeeds;
}

/**
 * Rules parsed once per text: every batch reads the live rules again (a rule may have changed since the last one),
 * but validating 70 rule trees with zod for every batch of 500 profiles was a measurable share of the pass. The rules
 * arrive as their JSON text (jsonb::text), the cache key as it is.
 */
const parsedRules = new Map<string, Rule>();
function parseCached(text: string): Rule {
  let rule = parsedRules.get(text);
  if (!rule) {
    if (parsedRules.size >= 10_000) parsedRules.clear();
    rule = parseRule(JSON.parse(text));
    parsedRules.set(text, rule);
  }
  return rule;
}

/**
 * Every live rule tag and segment, in dependency order (a segment over a rule tag after the tag). The order comes
 * from the owners' own references: only owners can depend on owners (a manual tag or static segment depends on
 * nothing), so the workspace's whole rule graph need not be read again for every batch.
 */
export async function ruleOwners(db: Kysely<DB>, workspaceId: string): Promise<Owner[]> {
  return (await rulePlan(db, workspaceId)).owners;
}

/**
 * The owners with what the real-time pass derives from them once: who reads which event name, the traits, the stage,
 * which owner (by index in `owners`); recomputed only when a rule, a value or the set of owners changed.
 */
interface RulePlan {
  owners: Owner[];
  /** Owner indexes reading each event name. */
  byEvent: Map<string, number[]>;
  traitReaders: number[];
  stageReaders: number[];
  /** For each owner, the indexes of the owners it reads (all earlier in `owners`). */
  reads: number[][];
  /** Per owner, its event leaves (name, window), for the earliest event time each name is read from. */
  leaves: Array<Array<{ event: string; condition: Condition }>>;
}

const plans = new Map<string, { signature: string; rules: Rule[]; plan: RulePlan }>();

async function rulePlan(db: Kysely<DB>, workspaceId: string): Promise<RulePlan> {
  const [tags, segments] = await Promise.all([liveRuleTags(db, workspaceId, parseCached), liveRuleSegments(db, workspaceId, parseCached)]);
  const signature = [...tags.map((t) => `tag:${t.id}\u0000${t.value}`), ...segments.map((s) => `segment:${s.id}`)].join('\u0001');
  const rules = [...tags.map((t) => t.rule), ...segments.map((s) => s.rule)];
  const cached = plans.get(workspaceId);
  if (cached && cached.signature === signature && cached.rules.every((r, i) => r === rules[i])) return cached.plan;
  const byKey = new Map<string, Owner>();
  for (const t of tags) byKey.set(`tag:${t.id}`, { key: `tag:${t.id}`, kind: 'tag', id: t.id, rule: t.rule, value: t.value, needs: needsOf(t.rule.condition) });
  for (const s of segments) byKey.set(`segment:${s.id}`, { key: `segment:${s.id}`, kind: 'segment', id: s.id, rule: s.rule, value: '', needs: needsOf(s.rule.condition) });
  const dependsOn = (o: Owner) => [...[...o.needs.tags].map((t) => `tag:${t}`), ...[...o.needs.segments].map((x) => `segment:${x}`)];
  const graph = new Map([...byKey.values()].map((o) => [o.key, { live: true, dependsOn: dependsOn(o) }]));
  const owners = dependencyOrder(graph, [...byKey.keys()]).map((k) => byKey.get(k)!);
  const index = new Map(owners.map((o, i) => [o.key, i]));
  const plan: RulePlan = { owners, byEvent: new Map(), traitReaders: [], stageReaders: [], reads: [], leaves: [] };
  owners.forEach((o, i) => {
    for (const name of o.needs.events) plan.byEvent.set(name, [...(plan.byEvent.get(name) ?? []), i]);
    if (o.needs.traits) plan.traitReaders.push(i);
    if (o.needs.stage) plan.stageReaders.push(i);
    plan.reads.push(dependsOn(o).flatMap((k) => (index.has(k) ? [index.get(k)!] : [])));
    plan.leaves.push(eventLeaves(o.rule.condition));
  });
  plans.set(workspaceId, { signature, rules, plan });
  return plan;
}

function eventLeaves(c: Condition, out: Array<{ event: string; condition: Condition }> = []): Array<{ event: string; condition: Condition }> {
  if (c.kind === 'and' || c.kind === 'or') c.conditions.forEach((x) => eventLeaves(x, out));
  else if (c.kind === 'not') eventLeaves(c.condition, out);
  else if (c.kind === 'event' || c.kind === 'event_aggregate' || c.kind === 'event_time') out.push({ event: c.event, condition: c });
  return out;
}

/** What changed for one profile since it was last decided (the change feed's scope, migration 0101). */
export interface ProfileChange {
  profileId: number;
  /** Anything may have changed (orders, identity, tags, manual edits…): re-decide everything. */
  everything: boolean;
  /** Otherwise only events of these names arrived… */
  events: string[];
  /** …and the traits changed if this is set. */
  traits: boolean;
}

const everything = (profileId: number): ProfileChange => ({ profileId, everything: true, events: [], traits: false });

/**
 * Owners to re-decide for every profile whatever its change: those that hold for a profile with no data at all
 * (e.g. "has not performed X"), and those that read identifiers. A profile created by ingest arrives with a narrow
 * change (its first events) but was never decided: until now it held nothing, which is the answer for an empty
 * profile except for these; and its identifiers are new. For a profile decided before, re-deciding them is merely
 * redundant.
 */
function alwaysOwners(owners: Owner[], ctx: EvalContext): Set<number> {
  const empty: ProfileState = { id: 0, traits: {}, identifierTypes: new Set(), events: [], orders: [], tags: new Map(), segments: new Set(), stage: null, rfm: null };
  const always = new Set<number>();
  owners.forEach((owner, i) => {
    const holds = evaluate(owner.rule.condition, empty, ctx);
    if (holds) {
      if (owner.kind === 'tag') empty.tags.set(owner.id, new Set([owner.value]));
      else empty.segments.add(owner.id);
    }
    if (holds || owner.needs.identifiers) always.add(i);
  });
  return always;
}

/** The owners one kind of change affects, and what deciding them reads (their conditions' needs and their own keys). */
interface Affected {
  owners: Owner[];
  needs: ConditionNeeds;
  tagKeys: string[];
  segmentKeys: string[];
  /** Event names read, each with the earliest time read (undefined: all time). */
  events: Map<string, Date | undefined>;
}

/**
 * The owners a change can affect, in dependency order: those reading a name that arrived, the traits if they
 * changed, the stage if it changed, anything in `always`, and (transitively) whatever reads one of those.
 */
function affectedBy(plan: RulePlan, change: ProfileChange, stageChanged: boolean, always: Set<number>, now: Date): Affected {
  const n = plan.owners.length;
  const hit = new Uint8Array(n);
  if (change.everything) hit.fill(1);
  else {
    for (const i of always) hit[i] = 1;
    if (change.traits) for (const i of plan.traitReaders) hit[i] = 1;
    if (stageChanged) for (const i of plan.stageReaders) hit[i] = 1;
    for (const name of change.events) for (const i of plan.byEvent.get(name) ?? []) hit[i] = 1;
    for (let i = 0; i < n; i++) if (!hit[i] && plan.reads[i]!.some((j) => hit[j])) hit[i] = 1;
  }
  const owners: Owner[] = [];
  const needs = emptyNeeds();
  const from = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (!hit[i]) continue;
    const owner = plan.owners[i]!;
    owners.push(owner);
    needsOf(owner.rule.condition, needs);
    if (owner.kind === 'tag') needs.tags.add(owner.id);
    else needs.segments.add(owner.id);
    for (const leaf of plan.leaves[i]!) {
      const since = eventHorizon([leaf.condition], now)?.getTime() ?? -Infinity;
      from.set(leaf.event, Math.min(from.get(leaf.event) ?? Infinity, since));
    }
  }
  const events = new Map([...from].map(([name, ms]) => [name, ms === -Infinity ? undefined : new Date(ms)] as const));
  return { owners, needs, tagKeys: [...needs.tags], segmentKeys: [...needs.segments], events };
}

/** Re-decides, for these changed profiles, what their change can affect (the AIPL stage first); returns how many memberships changed. */
export async function evaluateProfiles(
  db: Transaction<DB>,
  workspaceId: string,
  changed: Array<number | ProfileChange>,
  now: Date,
  opts: { pairsOnly?: boolean } = {},
): Promise<{ changes: number; decisions: number }> {
  const changes = changed.map((c) => (typeof c === 'number' ? everything(c) : c));
  if (changes.length === 0) return { changes: 0, decisions: 0 };
  const full = changes.filter((c) => c.everything).map((c) => c.profileId);
  const narrow = changes.filter((c) => !c.everything);
  // Stages: a full refresh for profiles where anything may have changed; new events can only raise a stage.
  if (full.length) await refreshStages(db, workspaceId, now, full);
  const raised = narrow.length ? await raiseStagesForEvents(db, workspaceId, now, narrow.map((c) => ({ profileId: c.profileId, events: c.events }))) : new Map<number, string>();
  const plan = await rulePlan(db, workspaceId);
  if (plan.owners.length === 0) return { changes: 0, decisions: 0 };
  const ctx = await workspaceContext(db, workspaceId, now);
  const always = narrow.length ? alwaysOwners(plan.owners, ctx) : new Set<number>();
  // Most profiles of a batch share one of a few kinds of change (the same event name arrived): each kind is worked
  // out once per batch.
  const kinds = new Map<string, Affected>();
  const affectedOf = (c: ProfileChange): Affected => {
    const stageChanged = raised.has(c.profileId);
    const kind = c.everything ? '*' : `${c.traits ? 1 : 0}${stageChanged ? 1 : 0}\u0001${[...c.events].sort().join('\u0001')}`;
    let affected = kinds.get(kind);
    if (!affected) {
      affected = affectedBy(plan, c, stageChanged, always, now);
      kinds.set(kind, affected);
    }
    return affected;
  };
  const planned = new Map<number, Affected>();
  for (const c of changes) {
    const affected = affectedOf(c);
    if (affected.owners.length) planned.set(c.profileId, affected);
  }
  if (planned.size === 0) return { changes: 0, decisions: 0 };
  // Load only what the affected owners read (and their own current membership), for the profiles that need it.
  const parts: Record<StatePart, number[]> = { identifiers: [], events: [], orders: [], items: [], tags: [], segments: [], stage: [], rfm: [] };
  const tagsOf = new Map<number, string[]>();
  const segmentsOf = new Map<number, string[]>();
  const eventsOf = new Map<number, Map<string, Date | undefined>>();
  const traitsOf = new Set<number>();
  let eventProperties = false;
  for (const [profileId, { needs: n, tagKeys, segmentKeys, events }] of planned) {
    if (n.traits) traitsOf.add(profileId);
    if (n.identifiers) parts.identifiers.push(profileId);
    if (events.size) parts.events.push(profileId);
    if (n.orders) parts.orders.push(profileId);
    if (n.items) parts.items.push(profileId);
    if (tagKeys.length) parts.tags.push(profileId);
    if (segmentKeys.length) parts.segments.push(profileId);
    if (n.stage) parts.stage.push(profileId);
    if (n.rfm) parts.rfm.push(profileId);
    tagsOf.set(profileId, tagKeys);
    segmentsOf.set(profileId, segmentKeys);
    eventsOf.set(profileId, events);
    eventProperties ||= n.eventProperties;
  }
  const states = await loadProfileStates(db, workspaceId, [...planned.keys()], new Set(), now, undefined, {
    parts,
    tagsOf,
    segmentsOf,
    eventsOf,
    traitsOf,
    eventProperties,
    pairsOnly: opts.pairsOnly,
  });
  const tagChanges: RuleTagChange[] = [];
  const segmentChanges: SegmentChange[] = [];
  let decisions = 0;
  // Each profile's owners in dependency order, updating its in-memory state, so a segment over a rule tag sees the
  // tag's new answer.
  for (const [profileId, { owners }] of planned) {
    const state = states.get(profileId);
    if (!state) continue;
    for (const owner of owners) {
      decisions++;
      const holds = evaluate(owner.rule.condition, state, ctx);
      if (owner.kind === 'tag') {
        if (holds === state.tags.has(owner.id)) continue;
        tagChanges.push({ tagId: owner.id, profileId: state.id, holds, value: owner.value });
        if (holds) state.tags.set(owner.id, new Set([owner.value]));
        else state.tags.delete(owner.id);
      } else {
        if (holds === state.segments.has(owner.id)) continue;
        segmentChanges.push({ segmentId: owner.id, profileId: state.id, holds });
        if (holds) state.segments.add(owner.id);
        else state.segments.delete(owner.id);
      }
    }
  }
  await applyRuleTagChanges(db, workspaceId, tagChanges, now);
  await applySegmentChanges(db, workspaceId, segmentChanges, now);
  return { changes: tagChanges.length + segmentChanges.length, decisions };
}
