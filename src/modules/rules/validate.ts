import type { Db } from '../../platform/db/database.js';
import { AppError, type ErrorDetail } from '../../platform/errors.js';
import { zodIssuesToDetails } from '../../platform/http/validation.js';
import { traitDate, windowBounds } from './clock.js';
import { opsByTraitType, Rule, type Condition, type PropertyFilter, type TraitType, type Window } from './schema.js';

/** A rule owner: rule tags and rule segments may refer to each other, but never in a cycle. */
export interface RuleOwner {
  kind: 'tag' | 'segment';
  id: string;
}

/** Parses a rule against the schema; errors name the offending node (`rule.condition.conditions[1].op`). */
export function parseRule(input: unknown, root = 'rule'): Rule {
  const result = Rule.safeParse(input);
  if (!result.success) {
    const details = zodIssuesToDetails(result.error, root);
    throw new AppError('invalid_request', `invalid rule: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  return result.data;
}

/** Every tag and segment a condition refers to, with the path of each reference. */
export function referencesOf(c: Condition, path = 'condition'): Array<RuleOwner & { path: string }> {
  switch (c.kind) {
    case 'and':
    case 'or':
      return c.conditions.flatMap((x, i) => referencesOf(x, `${path}.conditions[${i}]`));
    case 'not':
      return referencesOf(c.condition, `${path}.condition`);
    case 'tag':
      return [{ kind: 'tag', id: c.tag, path: `${path}.tag` }];
    case 'segment':
      return [{ kind: 'segment', id: c.segment, path: `${path}.segment` }];
    default:
      return [];
  }
}

/** Type, operator and value checks the schema cannot express, each reported at its node's path. */
export function semanticIssues(c: Condition, path = 'condition'): ErrorDetail[] {
  const issues: ErrorDetail[] = [];
  const at = (field: string, message: string) => issues.push({ path: `${path}.${field}`, message });
  switch (c.kind) {
    case 'and':
    case 'or':
      return c.conditions.flatMap((x, i) => semanticIssues(x, `${path}.conditions[${i}]`));
    case 'not':
      return semanticIssues(c.condition, `${path}.condition`);
    case 'trait':
      checkComparison(c.type, c, at);
      break;
    case 'event':
    case 'event_aggregate':
    case 'event_time':
      (c.where ?? []).forEach((f, i) => checkFilter(f, (field, message) => issues.push({ path: `${path}.where[${i}].${field}`, message })));
      if (c.kind !== 'event_time') checkWindow(c.window, at);
      else checkTime(c, at);
      break;
    case 'order':
    case 'bought':
      checkWindow(c.window, at);
      if (c.kind === 'bought' && c.sku === undefined && c.category === undefined) at('sku', 'give a sku or a category');
      break;
    case 'order_time':
      checkTime(c, at);
      break;
    case 'rfm':
      if (!c.classes && !c.r && !c.f && !c.m) at('classes', 'give classes or at least one score range (r, f, m)');
      for (const dim of ['r', 'f', 'm'] as const) {
        const range = c[dim];
        if (range && range[0] > range[1]) at(dim, 'the range must be [low, high]');
      }
      break;
    default:
  }
  return issues;
}

type At = (field: string, message: string) => void;

function checkComparison(type: TraitType, c: { op: string; value?: unknown; values?: unknown[]; days?: number }, at: At): void {
  if (!(opsByTraitType[type] as readonly string[]).includes(c.op)) {
    at('op', `operator ${c.op} does not apply to a ${type} (use one of ${opsByTraitType[type].join(', ')})`);
    return;
  }
  const scalarType = type === 'date' ? 'string' : type;
  const isOfType = (v: unknown) => (type === 'date' ? traitDate(v) !== undefined && String(v).length === 10 : typeof v === scalarType);
  const expected = type === 'date' ? 'a date (YYYY-MM-DD)' : `a ${type}`;
  switch (c.op) {
    case 'exists':
    case 'not_exists':
      return;
    case 'in':
    case 'not_in':
      if (!c.values || !c.values.every(isOfType)) at('values', `give values, each ${expected}`);
      return;
    case 'between':
      if (!c.values || c.values.length !== 2 || !c.values.every(isOfType)) at('values', `give two values [low, high], each ${expected}`);
      return;
    case 'within_last_days':
    case 'anniversary_within_days':
      if (c.days === undefined) at('days', 'give a number of days');
      return;
    default:
      if (!isOfType(c.value)) at('value', `give a value that is ${expected}`);
  }
}

function checkFilter(f: PropertyFilter, at: At): void {
  if (f.op === 'exists') return;
  const sample = f.value ?? f.values?.[0];
  if (sample === undefined) {
    at(f.op === 'in' ? 'values' : 'value', 'give a value to compare with');
    return;
  }
  const type: TraitType = typeof sample === 'string' ? 'string' : typeof sample === 'number' ? 'number' : 'boolean';
  if (f.values && !f.values.every((v) => typeof v === typeof sample)) {
    at('values', 'all values must have the same type');
    return;
  }
  checkComparison(type, f, at);
}

function checkWindow(window: Window | undefined, at: At): void {
  if (window?.type !== 'between') return;
  // Dates are whole days, both included (2026-11-11 to 2026-11-11 is that day); times end where they say.
  const { from, to } = windowBounds(window, new Date());
  if (!(from && to && from.getTime() < to.getTime())) at('window', 'the window must end after it starts');
}

function checkTime(c: { op: string; date?: string; days?: number }, at: At): void {
  if ((c.op === 'before' || c.op === 'after') && c.date === undefined) at('date', `${c.op} needs a date`);
  if ((c.op === 'within_last_days' || c.op === 'not_within_last_days') && c.days === undefined) at('days', `${c.op} needs days`);
}

/**
 * Full validation: schema, semantics, references to live tags and segments, and no cycle through `owner`
 * (a rule tag or segment may not depend on itself, directly or through others). Returns the parsed rule.
 */
export async function validateRule(db: Db, workspaceId: string, input: unknown, owner?: RuleOwner, root = 'rule'): Promise<Rule> {
  const rule = parseRule(input, root);
  const issues = semanticIssues(rule.condition, `${root}.condition`);
  const refs = referencesOf(rule.condition, `${root}.condition`);
  if (refs.length > 0) {
    const graph = await ruleGraph(db, workspaceId);
    for (const ref of refs) {
      const key = `${ref.kind}:${ref.id}`;
      const node = graph.get(key);
      if (!node) issues.push({ path: ref.path, message: `no such ${ref.kind}: ${ref.id}` });
      else if (!node.live) issues.push({ path: ref.path, message: `${ref.kind} ${ref.id} is archived or merged` });
      else if (owner && (key === `${owner.kind}:${owner.id}` || reaches(graph, key, `${owner.kind}:${owner.id}`))) {
        issues.push({ path: ref.path, message: `cyclic reference: ${ref.kind} ${ref.id} depends on this ${owner.kind}` });
      }
    }
  }
  if (issues.length) {
    throw new AppError('invalid_request', `invalid rule: ${issues.map((d) => `${d.path}: ${d.message}`).join('; ')}`, issues);
  }
  return rule;
}

interface GraphNode {
  live: boolean;
  dependsOn: string[];
}

/** tag:ID / segment:ID → what its rule refers to. */
export async function ruleGraph(db: Db, workspaceId: string): Promise<Map<string, GraphNode>> {
  const [tags, segments] = await Promise.all([
    db.selectFrom('tags').select(['id', 'rule', 'archived_at', 'merged_into']).where('workspace_id', '=', workspaceId).execute(),
    db.selectFrom('segments').select(['id', 'rule']).where('workspace_id', '=', workspaceId).execute(),
  ]);
  const graph = new Map<string, GraphNode>();
  const deps = (rule: unknown) => {
    const parsed = Rule.safeParse(rule);
    return parsed.success ? referencesOf(parsed.data.condition).map((r) => `${r.kind}:${r.id}`) : [];
  };
  for (const t of tags) graph.set(`tag:${t.id}`, { live: !t.archived_at && !t.merged_into, dependsOn: deps(t.rule) });
  for (const s of segments) graph.set(`segment:${s.id}`, { live: true, dependsOn: deps(s.rule) });
  return graph;
}

function reaches(graph: Map<string, GraphNode>, from: string, target: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const key = stack.pop()!;
    if (key === target) return true;
    if (seen.has(key)) continue;
    seen.add(key);
    stack.push(...(graph.get(key)?.dependsOn ?? []));
  }
  return false;
}

/** Orders rule owners so every one comes after those it refers to (the graph is acyclic by validation). */
export function dependencyOrder(graph: Map<string, GraphNode>, keys: string[]): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (key: string, depth: number) => {
    if (done.has(key) || depth > graph.size + 1) return;
    done.add(key);
    for (const dep of graph.get(key)?.dependsOn ?? []) visit(dep, depth + 1);
    out.push(key);
  };
  for (const key of keys) visit(key, 0);
  const wanted = new Set(keys);
  return out.filter((k) => wanted.has(k));
}
