import { CronExpressionParser } from 'cron-parser';
import type { Db } from '../../platform/db/database.js';
import { invalid, type ErrorDetail } from '../../platform/errors.js';
import { zodIssuesToDetails } from '../../platform/http/validation.js';
import { semanticIssues } from '../rules/index.js';
import { JourneyDefinition, type Edge, type JourneyNode } from './schema.js';

/** The branches each node type must leave by (`next` is optional: a node without it ends the journey there). */
export function requiredBranches(node: JourneyNode): string[] {
  switch (node.type) {
    case 'condition':
      return ['yes', 'no'];
    case 'wait_for_event':
      return ['event', 'timeout'];
    case 'split':
      return node.variants.map((v) => v.key);
    default:
      return [];
  }
}

function allowedBranches(node: JourneyNode): string[] {
  if (node.type === 'exit') return [];
  const required = requiredBranches(node);
  return required.length ? required : ['next'];
}

/** Names a node in an error path the way an operator sees it: `nodes[3](welcome)`. */
const nodePath = (index: number, node: { id?: unknown }) => `nodes[${index}](${String(node.id ?? '?')})`;

/**
 * Checks a definition's shape (zod) and its graph: unique ids, edges between known nodes by allowed branches, every
 * required branch present exactly once, no cycles, every node reachable from `start`, split percentages summing to
 * 100, rules meaningful, cron expressions parseable. Every issue names the node.
 */
export function definitionIssues(input: unknown): { definition?: JourneyDefinition; issues: ErrorDetail[] } {
  const parsed = JourneyDefinition.safeParse(input);
  if (!parsed.success) {
    const raw = (input ?? {}) as { nodes?: Array<{ id?: unknown }> };
    const issues = zodIssuesToDetails(parsed.error, 'definition').map((d, i) => {
      const path = parsed.error.issues[i]?.path ?? [];
      if (path[0] === 'nodes' && typeof path[1] === 'number') {
        const node = raw.nodes?.[path[1]] ?? {};
        return { ...d, path: (d.path ?? '').replace(`definition.nodes[${path[1]}]`, `definition.${nodePath(path[1], node)}`) };
      }
      return d;
    });
    return { issues };
  }
  const def = parsed.data;
  const issues: ErrorDetail[] = [];
  const at = (path: string, message: string) => issues.push({ path: `definition.${path}`, message });

  const indexOf = new Map<string, number>();
  def.nodes.forEach((n, i) => {
    if (indexOf.has(n.id)) at(nodePath(i, n), `duplicate node id "${n.id}"`);
    else indexOf.set(n.id, i);
  });
  if (!indexOf.has(def.start)) at('start', `no node "${def.start}"`);

  const outgoing = new Map<string, Edge[]>();
  def.edges.forEach((e, i) => {
    const fromIndex = indexOf.get(e.from);
    if (fromIndex === undefined) return at(`edges[${i}].from`, `no node "${e.from}"`);
    if (!indexOf.has(e.to)) return at(`edges[${i}].to`, `no node "${e.to}"`);
    const from = def.nodes[fromIndex]!;
    if (!allowedBranches(from).includes(e.branch)) {
      const allowed = allowedBranches(from);
      return at(`${nodePath(fromIndex, from)}`, `edge ${i} leaves by "${e.branch}"; a ${from.type} node leaves by ${allowed.length ? allowed.join(', ') : 'nothing (it ends the journey)'}`);
    }
    const list = outgoing.get(e.from) ?? [];
    if (list.some((x) => x.branch === e.branch)) return at(`${nodePath(fromIndex, from)}`, `two edges leave by "${e.branch}"`);
    list.push(e);
    outgoing.set(e.from, list);
  });

  def.nodes.forEach((node, i) => {
    const path = nodePath(i, node);
    for (const branch of requiredBranches(node)) {
      if (!(outgoing.get(node.id) ?? []).some((e) => e.branch === branch)) at(path, `a ${node.type} node needs an edge for branch "${branch}"`);
    }
    if (node.type === 'split') {
      const total = node.variants.reduce((s, v) => s + v.percent, 0);
      if (Math.abs(total - 100) > 1e-9) at(`${path}.variants`, `percentages add up to ${total}, not 100`);
      if (new Set(node.variants.map((v) => v.key)).size !== node.variants.length) at(`${path}.variants`, 'variant keys must differ');
    }
    if (node.type === 'condition') issues.push(...semanticIssues(node.rule.condition, `definition.${path}.rule.condition`));
    if (node.type === 'send' && node.fallback?.channelId === node.channelId) at(`${path}.fallback.channelId`, 'the fallback must be another channel');
    if (node.type === 'wait') {
      const d = node.duration;
      if (d.days + d.hours + d.minutes + d.seconds === 0) at(`${path}.duration`, 'a wait needs a positive duration');
    }
  });

  // Reachability and cycles: a depth-first walk from the start (a cycle could move a person forever in one step).
  const state = new Map<string, 'open' | 'done'>();
  const walk = (id: string): void => {
    state.set(id, 'open');
    for (const e of outgoing.get(id) ?? []) {
      const s = state.get(e.to);
      if (s === 'open') at(nodePath(indexOf.get(e.to)!, { id: e.to }), `cycle: "${id}" leads back to "${e.to}"`);
      else if (!s) walk(e.to);
    }
    state.set(id, 'done');
  };
  if (indexOf.has(def.start)) walk(def.start);
  def.nodes.forEach((n, i) => {
    if (!state.has(n.id) && indexOf.get(n.id) === i) at(nodePath(i, n), `not reachable from start "${def.start}"`);
  });

  const t = def.trigger;
  if (t.type === 'schedule') {
    try {
      CronExpressionParser.parse(t.cron);
    } catch (err) {
      at('trigger.cron', `invalid cron expression: ${(err as Error).message}`);
    }
  }
  for (const [name, p] of [['goal', def.policies.goal], ['exitCriteria', def.policies.exitCriteria]] as const) {
    if (p?.rule) issues.push(...semanticIssues(p.rule.condition, `definition.policies.${name}.rule.condition`));
  }
  return issues.length ? { issues } : { definition: def, issues };
}

/** Parses and checks a definition, or throws a 400 whose details name the nodes at fault. */
export function parseDefinition(input: unknown): JourneyDefinition {
  const { definition, issues } = definitionIssues(input);
  if (!definition) throw invalid(`invalid journey: ${issues.slice(0, 5).map((d) => `${d.path}: ${d.message}`).join('; ')}`, issues);
  return definition;
}

/** Checks at publish that what the journey names exists in the workspace (segments, tags, channels, templates). */
export async function referenceIssues(db: Db, workspaceId: string, def: JourneyDefinition): Promise<ErrorDetail[]> {
  const issues: ErrorDetail[] = [];
  const exists = async (table: 'segments' | 'tags' | 'channel_configs' | 'message_templates' | 'coupon_templates', id: string) =>
    (await db.selectFrom(table).select('id').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()) !== undefined;
  const t = def.trigger;
  if ((t.type === 'segment_entered' || (t.type === 'schedule' && t.segmentId)) && !(await exists('segments', t.segmentId!))) {
    issues.push({ path: 'definition.trigger.segmentId', message: `no segment ${t.segmentId}` });
  }
  if (t.type === 'tag_applied' && !(await exists('tags', t.tagId))) issues.push({ path: 'definition.trigger.tagId', message: `no tag ${t.tagId}` });
  for (const [i, n] of def.nodes.entries()) {
    const path = `definition.${nodePath(i, n)}`;
    const need = async (table: Parameters<typeof exists>[0], id: string, field: string) => {
      if (!(await exists(table, id))) issues.push({ path: `${path}.${field}`, message: `no ${table.replace(/_/g, ' ').replace(/s$/, '')} ${id}` });
    };
    if (n.type === 'send') {
      await need('channel_configs', n.channelId, 'channelId');
      await need('message_templates', n.templateId, 'templateId');
      if (n.fallback) {
        await need('channel_configs', n.fallback.channelId, 'fallback.channelId');
        await need('message_templates', n.fallback.templateId, 'fallback.templateId');
      }
    }
    if (n.type === 'webhook') await need('channel_configs', n.channelId, 'channelId');
    if (n.type === 'add_tag' || n.type === 'remove_tag') await need('tags', n.tagId, 'tagId');
    if (n.type === 'issue_coupon') await need('coupon_templates', n.couponTemplateId, 'couponTemplateId');
  }
  return issues;
}
