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
  workspaceContext,
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
 * Every live rule tag and segment, in dependency order (a segment over a rule tag after the tag). The order comes
 * from the owners' own references: only owners can depend on owners (a manual tag or static segment depends on
 * nothing), so the workspace's whole rule graph need not be read again for every batch.
 */
export async function ruleOwners(db: Kysely<DB>, workspaceId: string): Promise<Owner[]> {
  const [tags, segments] = await Promise.all([liveRuleTags(db, workspaceId), liveRuleSegments(db, workspaceId)]);
  const owners = new Map<string, Owner>();
  for (const t of tags) owners.set(`tag:${t.id}`, { key: `tag:${t.id}`, kind: 'tag', id: t.id, rule: t.rule, value: t.value, needs: needsOf(t.rule.condition) });
  for (const s of segments) owners.set(`segment:${s.id}`, { key: `segment:${s.id}`, kind: 'segment', id: s.id, rule: s.rule, value: '', needs: needsOf(s.rule.condition) });
  const graph = new Map(
    [...owners.values()].map((o) => [o.key, { live: true, dependsOn: [...[...o.needs.tags].map((t) => `tag:${t}`), ...[...o.needs.segments].map((x) => `segment:${x}`)] }]),
  );
  return dependencyOrder(graph, [...owners.keys()]).map((k) => owners.get(k)!);
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
function alwaysOwners(owners: Owner[], ctx: EvalContext): Set<string> {
  const empty: ProfileState = { id: 0, traits: {}, identifierTypes: new Set(), events: [], orders: [], tags: new Map(), segments: new Set(), stage: null, rfm: null };
  const always = new Set<string>();
  for (const owner of owners) {
    const holds = evaluate(owner.rule.condition, empty, ctx);
    if (holds) {
      if (owner.kind === 'tag') empty.tags.set(owner.id, new Set([owner.value]));
      else empty.segments.add(owner.id);
    }
    if (holds || owner.needs.identifiers) always.add(owner.key);
  }
  return always;
}

/**
 * The owners one change can affect, in dependency order: those reading a name that arrived, the traits if they
 * changed, the stage if it changed, anything in `always`, and (transitively) whatever reads one of those.
 */
function affectedOwners(owners: Owner[], change: ProfileChange, stageChanged: boolean, always: Set<string>): Owner[] {
  if (change.everything) return owners;
  const out: Owner[] = [];
  const tags = new Set<string>();
  const segments = new Set<string>();
  for (const owner of owners) {
    const n = owner.needs;
    const hit =
      always.has(owner.key) ||
      (change.traits && n.traits) ||
      (stageChanged && n.stage) ||
      change.events.some((e) => n.events.has(e)) ||
      [...n.tags].some((t) => tags.has(t)) ||
      [...n.segments].some((s) => segments.has(s));
    if (!hit) continue;
    out.push(owner);
    if (owner.kind === 'tag') tags.add(owner.id);
    else segments.add(owner.id);
  }
  return out;
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
  const owners = await ruleOwners(db, workspaceId);
  if (owners.length === 0) return { changes: 0, decisions: 0 };
  const ctx = await workspaceContext(db, workspaceId, now);
  const always = narrow.length ? alwaysOwners(owners, ctx) : new Set<string>();
  const plan = new Map<number, Owner[]>();
  for (const c of changes) {
    const affected = affectedOwners(owners, c, raised.has(c.profileId), always);
    if (affected.length) plan.set(c.profileId, affected);
  }
  if (plan.size === 0) return { changes: 0, decisions: 0 };
  // Load only what the affected owners read (and their own current membership), for the profiles that need it.
  const parts: Record<StatePart, number[]> = { identifiers: [], events: [], orders: [], items: [], tags: [], segments: [], stage: [], rfm: [] };
  const reads = emptyNeeds();
  const tagsOf = new Map<number, string[]>();
  const segmentsOf = new Map<number, string[]>();
  const conditions = new Set<Owner>();
  for (const [profileId, affected] of plan) {
    const n = emptyNeeds();
    for (const owner of affected) {
      needsOf(owner.rule.condition, n);
      conditions.add(owner);
      if (owner.kind === 'tag') n.tags.add(owner.id);
      else n.segments.add(owner.id);
    }
    if (n.identifiers) parts.identifiers.push(profileId);
    if (n.events.size) parts.events.push(profileId);
    if (n.orders) parts.orders.push(profileId);
    if (n.items) parts.items.push(profileId);
    if (n.tags.size) parts.tags.push(profileId);
    if (n.segments.size) parts.segments.push(profileId);
    tagsOf.set(profileId, [...n.tags]);
    segmentsOf.set(profileId, [...n.segments]);
    if (n.stage) parts.stage.push(profileId);
    if (n.rfm) parts.rfm.push(profileId);
    n.events.forEach((e) => reads.events.add(e));
    reads.eventProperties ||= n.eventProperties;
    n.tags.forEach((t) => reads.tags.add(t));
    n.segments.forEach((s) => reads.segments.add(s));
  }
  const read = [...conditions].map((o) => o.rule.condition);
  const states = await loadProfileStates(db, workspaceId, [...plan.keys()], reads.events, now, eventHorizon(read, now), {
    parts,
    tagIds: [...reads.tags],
    segmentIds: [...reads.segments],
    tagsOf,
    segmentsOf,
    eventProperties: reads.eventProperties,
    pairsOnly: opts.pairsOnly,
  });
  const tagChanges: RuleTagChange[] = [];
  const segmentChanges: SegmentChange[] = [];
  let decisions = 0;
  // In dependency order, updating the in-memory state, so a segment over a rule tag sees the tag's new answer.
  const planned = [...plan.entries()].flatMap(([profileId, affected]) => {
    const state = states.get(profileId);
    return state ? [{ state, keys: new Set(affected.map((o) => o.key)) }] : [];
  });
  for (const owner of owners) {
    for (const { state, keys } of planned) {
      if (!keys.has(owner.key)) continue;
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
