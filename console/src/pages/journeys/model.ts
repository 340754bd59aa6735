/**
 * The journey definition as the canvas edits it: plain JSON (the server's zod schema is the authority; the side
 * panel is driven by its description from GET /api/v1/journeys/schema and the server's errors land on the nodes).
 */
export interface JNode {
  id: string;
  type: string;
  label?: string;
  [field: string]: unknown;
}
export interface JEdge {
  from: string;
  to: string;
  branch: string;
}
export interface Definition {
  schemaVersion?: number;
  trigger: { type: string; [field: string]: unknown };
  start: string;
  nodes: JNode[];
  edges: JEdge[];
  policies: Record<string, unknown>;
}

/** JSON Schema, as much of it as the forms read. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: (string | number)[];
  const?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  description?: string;
  additionalProperties?: unknown;
  $ref?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}
export interface JourneySchema {
  version: number;
  nodes: Record<string, JsonSchema>;
  triggers: Record<string, JsonSchema>;
  policies: JsonSchema;
}

export const TRIGGER_ID = '__trigger';

/** The palette, in the order operators think of a journey: timing, branching, messages, actions, the end. */
export const PALETTE: { group: string; types: string[] }[] = [
  { group: 'flow', types: ['wait', 'wait_until', 'wait_for_event', 'condition', 'split'] },
  { group: 'message', types: ['send', 'webhook'] },
  { group: 'action', types: ['add_tag', 'remove_tag', 'set_trait', 'award_points', 'issue_coupon', 'assign_guide'] },
  { group: 'end', types: ['exit'] },
];

/** The branches a node leaves by (mirrors the server's requiredBranches / allowedBranches). */
export function branchesOf(node: JNode): string[] {
  switch (node.type) {
    case 'exit':
      return [];
    case 'condition':
      return ['yes', 'no'];
    case 'wait_for_event':
      return ['event', 'timeout'];
    case 'split':
      return ((node.variants as { key: string }[] | undefined) ?? []).map((v) => v.key);
    default:
      return ['next'];
  }
}

/** A new node of a type, with the values an operator most often wants (empty where they must choose). */
export function defaultNode(type: string, id: string): JNode {
  const fields: Record<string, Record<string, unknown>> = {
    wait: { duration: { days: 1, hours: 0, minutes: 0, seconds: 0 } },
    wait_until: { time: '10:00', timezone: 'profile' },
    wait_for_event: { event: '', filters: [], timeoutHours: 24 },
    condition: { rule: { version: 1, condition: { kind: 'and', conditions: [] } } },
    split: { variants: [{ key: 'a', percent: 50 }, { key: 'b', percent: 50 }] },
    send: { channelId: '', templateId: '', transactional: false },
    add_tag: { tagId: '' },
    remove_tag: { tagId: '' },
    set_trait: { traits: {} },
    webhook: { channelId: '', payload: {} },
    award_points: { points: 100, reason: '' },
    issue_coupon: { couponTemplateId: '' },
  };
  return { id, type, ...structuredClone(fields[type] ?? {}) };
}

export const defaultTrigger = (type: string): Definition['trigger'] =>
  ({
    segment_entered: { type, segmentId: '' },
    event: { type, event: '', filters: [] },
    tag_applied: { type, tagId: '' },
    date: { type, trait: 'birthday', match: 'anniversary', offsetDays: 0, at: '09:00' },
    schedule: { type, cron: '0 10 * * 1' },
    manual: { type },
  })[type] ?? { type };

export const emptyDefinition = (): Definition => ({ schemaVersion: 1, trigger: { type: 'manual' }, start: '', nodes: [], edges: [], policies: {} });

/** A stored definition opened on the canvas (missing parts filled in). */
export function editableDefinition(raw: unknown): Definition {
  const d = (raw ?? {}) as Partial<Definition>;
  return {
    schemaVersion: d.schemaVersion ?? 1,
    trigger: d.trigger ?? { type: 'manual' },
    start: d.start ?? '',
    nodes: d.nodes ?? [],
    edges: (d.edges ?? []).map((e) => ({ ...e, branch: e.branch ?? 'next' })),
    policies: d.policies ?? {},
  };
}

/** A fresh node id for a type: `send_3`. */
export function newNodeId(def: Definition, type: string): string {
  const taken = new Set(def.nodes.map((n) => n.id));
  for (let i = 1; ; i++) if (!taken.has(`${type}_${i}`)) return `${type}_${i}`;
}

/** Connects `from` by `branch` to `to` (the trigger sets the start), replacing what left by that branch before. */
export function connect(def: Definition, from: string, branch: string, to: string): Definition {
  if (from === TRIGGER_ID) return { ...def, start: to };
  if (from === to) return def;
  return { ...def, edges: [...def.edges.filter((e) => !(e.from === from && e.branch === branch)), { from, to, branch }] };
}

export function removeNode(def: Definition, id: string): Definition {
  return { ...def, start: def.start === id ? '' : def.start, nodes: def.nodes.filter((n) => n.id !== id), edges: def.edges.filter((e) => e.from !== id && e.to !== id) };
}

/** The first branch of a node with nothing connected yet (where a node added after it is attached). */
export function freeBranch(def: Definition, id: string): string | undefined {
  if (id === TRIGGER_ID) return def.start ? undefined : 'next';
  const node = def.nodes.find((n) => n.id === id);
  if (!node) return undefined;
  return branchesOf(node).find((b) => !def.edges.some((e) => e.from === id && e.branch === b));
}

export interface Issue {
  path?: string;
  message: string;
}
/** An error where it belongs: a node (or the trigger), the policies, or the journey as a whole; `field` inside it. */
export interface PlacedIssue {
  target: string;
  field: string;
  message: string;
}

/**
 * Server error details placed on the canvas: `definition.nodes[2](send_1).templateId` → node send_1, field
 * templateId; `definition.trigger.event` and `definition.start` → the trigger; `edges[i]` → the node it leaves.
 */
export function placeIssues(issues: Issue[], def: Definition): PlacedIssue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? '').replace(/^(body\.)?definition\.?/, '');
    const node = /^nodes\[(\d+)\](?:\(([^)]*)\))?\.?(.*)$/.exec(path);
    if (node) {
      const id = node[2] ?? def.nodes[Number(node[1])]?.id ?? '';
      return { target: id, field: node[3] ?? '', message: issue.message };
    }
    const edge = /^edges\[(\d+)\]/.exec(path);
    if (edge) return { target: def.edges[Number(edge[1])]?.from ?? '', field: '', message: issue.message };
    if (path.startsWith('trigger')) return { target: TRIGGER_ID, field: path.replace(/^trigger\.?/, ''), message: issue.message };
    if (path === 'start') return { target: TRIGGER_ID, field: '', message: issue.message };
    if (path.startsWith('policies')) return { target: 'policies', field: path.replace(/^policies\.?/, ''), message: issue.message };
    return { target: '', field: path, message: issue.message };
  });
}

/** Positions for nodes that have none: layered from the trigger down, branches side by side. */
export function layout(def: Definition, known: Record<string, { x: number; y: number }>): Record<string, { x: number; y: number }> {
  const out: Record<string, { x: number; y: number }> = { ...known };
  const depth = new Map<string, number>();
  const queue: string[] = [];
  if (def.start) {
    depth.set(def.start, 1);
    queue.push(def.start);
  }
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of def.edges.filter((x) => x.from === id)) {
      if (!depth.has(e.to)) {
        depth.set(e.to, depth.get(id)! + 1);
        queue.push(e.to);
      }
    }
  }
  const perLayer = new Map<number, number>();
  const place = (id: string, d: number) => {
    const i = perLayer.get(d) ?? 0;
    perLayer.set(d, i + 1);
    if (!out[id]) out[id] = { x: 40 + i * 240, y: 30 + d * 140 };
  };
  place(TRIGGER_ID, 0);
  let maxDepth = 1;
  for (const n of def.nodes) {
    const d = depth.get(n.id);
    if (d !== undefined) {
      place(n.id, d);
      maxDepth = Math.max(maxDepth, d);
    }
  }
  for (const n of def.nodes) if (!depth.has(n.id)) place(n.id, maxDepth + 1);
  return out;
}

/** A server message the operator reads better in their own words: the i18n key for it (a value left empty), if any. */
export function issueKey(message: string): string | undefined {
  if (/^Too small: expected string to have >=1 characters?$/.test(message) || /^Invalid input: expected \w+, received undefined$/.test(message)) return 'journeys.issueRequired';
  return undefined;
}
