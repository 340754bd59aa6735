/**
 * The rule language as the builder edits it: plain JSON nodes (the server's zod schema is the authority; the
 * builder is driven by its description from GET /api/v1/rules/schema and shows the server's errors on the nodes).
 */
export type RuleNode = { kind: string } & Record<string, unknown>;
export interface GroupNode {
  kind: 'and' | 'or';
  conditions: RuleNode[];
}
export interface Rule {
  version: number;
  condition: RuleNode;
}

export interface FieldDescription {
  required: boolean;
  enum?: string[];
  type?: string;
}
export interface RuleSchema {
  version: number;
  kinds: Record<string, Record<string, FieldDescription>>;
  traitOps: Record<string, string[]>;
  propertyFilterOps: string[];
  windowTypes: string[];
}

export const isGroup = (node: RuleNode): node is RuleNode & GroupNode => node.kind === 'and' || node.kind === 'or';

/** The condition kinds a leaf can be, in the order the builder offers them (unknown future kinds last). */
export const LEAF_KIND_ORDER = [
  'trait', 'event', 'event_aggregate', 'event_time', 'order', 'order_time', 'bought', 'tag', 'segment', 'lifecycle', 'rfm', 'identifier', 'consent',
];

export function leafKinds(schema: RuleSchema): string[] {
  const known = Object.keys(schema.kinds).filter((k) => !['and', 'or', 'not'].includes(k));
  return [...LEAF_KIND_ORDER.filter((k) => known.includes(k)), ...known.filter((k) => !LEAF_KIND_ORDER.includes(k))];
}

/** The first allowed value of a field's enum (the builder's default choice). */
const first = (schema: RuleSchema, kind: string, field: string, fallback: string) => schema.kinds[kind]?.[field]?.enum?.[0] ?? fallback;

/** A new condition of a kind, with the defaults an operator most often wants. */
export function defaultCondition(kind: string, schema: RuleSchema): RuleNode {
  switch (kind) {
    case 'trait':
      return { kind, trait: '', type: 'string', op: schema.traitOps.string?.[0] ?? 'eq', value: '' };
    case 'event':
      return { kind, event: '', window: { type: 'last_days', days: 30 } };
    case 'event_aggregate':
      return { kind, event: '', fn: first(schema, kind, 'fn', 'sum'), property: '', op: 'gte', value: 0, window: { type: 'last_days', days: 30 } };
    case 'event_time':
      return { kind, event: '', which: 'last', op: 'within_last_days', days: 30 };
    case 'order':
      return { kind, measure: first(schema, kind, 'measure', 'count'), op: 'gte', value: 1, window: { type: 'last_days', days: 90 } };
    case 'order_time':
      return { kind, which: 'last', op: 'within_last_days', days: 90 };
    case 'bought':
      return { kind, category: '', window: { type: 'last_days', days: 90 } };
    case 'tag':
      return { kind, op: first(schema, kind, 'op', 'has'), tag: '' };
    case 'segment':
      return { kind, op: first(schema, kind, 'op', 'in'), segment: '' };
    case 'lifecycle':
      return { kind, stages: [first(schema, kind, 'stages', 'P')] };
    case 'rfm':
      return { kind, classes: [first(schema, kind, 'classes', 'important_value')] };
    case 'identifier':
      return { kind, op: first(schema, kind, 'op', 'has'), type: 'wecom_external_userid' };
    case 'consent':
      return { kind, channel: 'sms' };
    default:
      return { kind };
  }
}

export const emptyRule = (schema?: RuleSchema): Rule => ({ version: schema?.version ?? 1, condition: { kind: 'and', conditions: [] } });

/** A stored rule opened in the builder: the root is always a group, so conditions can be added next to it. */
export function editableRule(rule: unknown): Rule {
  const r = rule as Partial<Rule> | null | undefined;
  const condition = r?.condition;
  if (!condition) return { version: r?.version ?? 1, condition: { kind: 'and', conditions: [] } };
  return { version: r?.version ?? 1, condition: isGroup(condition) ? condition : { kind: 'and', conditions: [condition] } };
}

/** A node's path as the server names it: `condition`, `condition.conditions[1]`, `condition.conditions[0].condition`. */
export const childPath = (path: string, index: number) => `${path}.conditions[${index}]`;
export const notPath = (path: string) => `${path}.condition`;

export interface NodeError {
  /** The field of the node (`op`, `value`, `where[0].value`), empty for the node itself. */
  field: string;
  message: string;
}

/**
 * Server error details (`body.rule.condition.conditions[1].op`) grouped by the node they point at, so each node
 * shows its own errors. `nodePaths` are the paths of the nodes on screen; an error goes to the deepest that
 * contains it (or to the root).
 */
export function errorsByNode(details: { path?: string; message: string }[], nodePaths: string[]): Map<string, NodeError[]> {
  const out = new Map<string, NodeError[]>();
  const sorted = [...nodePaths].sort((a, b) => b.length - a.length);
  for (const d of details) {
    const at = d.path?.indexOf('condition') ?? -1;
    const path = at >= 0 ? d.path!.slice(at) : 'condition';
    const node = sorted.find((p) => path === p || path.startsWith(`${p}.`)) ?? 'condition';
    const field = path === node ? '' : path.slice(node.length + 1);
    out.set(node, [...(out.get(node) ?? []), { field, message: d.message }]);
  }
  return out;
}

/** Every node path in a condition tree (for errorsByNode). */
export function nodePaths(node: RuleNode, path = 'condition'): string[] {
  if (isGroup(node)) return [path, ...node.conditions.flatMap((c, i) => nodePaths(c, childPath(path, i)))];
  if (node.kind === 'not' && node.condition) return [path, ...nodePaths(node.condition as RuleNode, notPath(path))];
  return [path];
}

/** A rule worth estimating: at least one condition. */
export const hasConditions = (rule: Rule) => !isGroup(rule.condition) || rule.condition.conditions.length > 0;
