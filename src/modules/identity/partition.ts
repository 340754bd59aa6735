import type { IdentifierRules } from './identifiers.js';

/**
 * The OneID partition: applies a component's links in canonical order (event time, then message id) with
 * union-find, refusing any union that would exceed a type's per-profile limit or join two sides an operator
 * separated. Pure and deterministic: the same links always give the same partition, whatever order they arrived in.
 */
export interface PartitionNode {
  id: number;
  type: string;
  /** Breaks ties between links of one message: ids depend on arrival order, values do not. */
  value?: string;
}
export interface PartitionLink {
  a: number;
  b: number;
  eventTime: number;
  messageId: string;
}
export interface Separation {
  left: number[];
  right: number[];
}
export interface RefusedLink extends PartitionLink {
  reason: 'limit' | 'separated';
  /** For limit refusals: the type whose limit would be exceeded. */
  type?: string;
}
export interface PartitionResult {
  /** Sets of identifier ids, each sorted, listed by smallest member. */
  sets: number[][];
  setOf: Map<number, number>;
  accepted: PartitionLink[];
  refused: RefusedLink[];
}

export function compareLinks(x: PartitionLink, y: PartitionLink): number {
  return x.eventTime - y.eventTime || (x.messageId < y.messageId ? -1 : x.messageId > y.messageId ? 1 : 0) || x.a - y.a || x.b - y.b;
}

export function partition(nodes: PartitionNode[], links: PartitionLink[], separations: Separation[], rules: IdentifierRules): PartitionResult {
  const parent = new Map<number, number>();
  const counts = new Map<number, Map<string, number>>();
  // For each separation: does the set contain a left member / a right member (bit 1 = left, 2 = right)?
  const sides = new Map<number, Uint8Array>();
  const typeOf = new Map<number, string>();
  for (const n of nodes) {
    parent.set(n.id, n.id);
    typeOf.set(n.id, n.type);
    counts.set(n.id, new Map([[n.type, 1]]));
    sides.set(n.id, new Uint8Array(separations.length));
  }
  separations.forEach((s, k) => {
    const mark = (id: number, bit: number) => {
      const arr = sides.get(id);
      if (arr) arr[k] = (arr[k] ?? 0) | bit;
    };
    for (const id of s.left) mark(id, 1);
    for (const id of s.right) mark(id, 2);
  });

  const find = (x: number): number => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    while (parent.get(x) !== root) {
      const next = parent.get(x)!;
      parent.set(x, root);
      x = next;
    }
    return root;
  };

  const accepted: PartitionLink[] = [];
  const refused: RefusedLink[] = [];
  const keyOf = new Map(nodes.map((n) => [n.id, `${n.type}\u0000${n.value ?? ''}`]));
  const pairKey = (l: PartitionLink) => [keyOf.get(l.a) ?? '', keyOf.get(l.b) ?? ''].sort().join('\u0001');
  const byCanonicalOrder = (x: PartitionLink, y: PartitionLink) => {
    const t = x.eventTime - y.eventTime || (x.messageId < y.messageId ? -1 : x.messageId > y.messageId ? 1 : 0);
    if (t) return t;
    const kx = pairKey(x);
    const ky = pairKey(y);
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  };
  for (const link of [...links].sort(byCanonicalOrder)) {
    if (!parent.has(link.a) || !parent.has(link.b)) continue;
    const ra = find(link.a);
    const rb = find(link.b);
    if (ra === rb) continue;
    const ca = counts.get(ra)!;
    const cb = counts.get(rb)!;
    let overType: string | undefined;
    for (const [type, n] of cb) {
      const max = rules(type).maxPerProfile;
      if (max !== null && (ca.get(type) ?? 0) + n > max) {
        overType = type;
        break;
      }
    }
    if (overType) {
      refused.push({ ...link, reason: 'limit', type: overType });
      continue;
    }
    const sa = sides.get(ra)!;
    const sb = sides.get(rb)!;
    let separated = false;
    for (let k = 0; k < separations.length; k++) {
      if (((sa[k] ?? 0) | (sb[k] ?? 0)) === 3) {
        separated = true;
        break;
      }
    }
    if (separated) {
      refused.push({ ...link, reason: 'separated' });
      continue;
    }
    // Union by smallest id as root keeps results easy to read; cost is irrelevant at component sizes.
    const [root, child] = ra < rb ? [ra, rb] : [rb, ra];
    parent.set(child, root);
    const rootCounts = counts.get(root)!;
    for (const [type, n] of counts.get(child)!) rootCounts.set(type, (rootCounts.get(type) ?? 0) + n);
    const rootSides = sides.get(root)!;
    const childSides = sides.get(child)!;
    for (let k = 0; k < separations.length; k++) rootSides[k] = (rootSides[k] ?? 0) | (childSides[k] ?? 0);
    accepted.push(link);
  }

  const byRoot = new Map<number, number[]>();
  for (const n of nodes) {
    const r = find(n.id);
    let set = byRoot.get(r);
    if (!set) byRoot.set(r, (set = []));
    set.push(n.id);
  }
  const sets = [...byRoot.values()].map((s) => s.sort((x, y) => x - y)).sort((x, y) => x[0]! - y[0]!);
  const setOf = new Map<number, number>();
  sets.forEach((s, i) => s.forEach((id) => setOf.set(id, i)));
  return { sets, setOf, accepted, refused };
}

/**
 * Gives each set a stable profile id: the oldest (smallest) profile id among its members' origin profiles that no
 * earlier set claimed, else a new one. A merge therefore keeps the older profile's id, and an unmerge restores the
 * absorbed profile's own id to the identifiers it came with.
 */
export function assignProfileIds(sets: number[][], originOf: (identifierId: number) => number | null, mint: () => number): number[] {
  const candidates = sets.map((set) => [...new Set(set.map(originOf).filter((p): p is number => p !== null))].sort((x, y) => x - y));
  const order = sets.map((_, i) => i).sort((x, y) => (candidates[x]![0] ?? Infinity) - (candidates[y]![0] ?? Infinity) || x - y);
  const claimed = new Set<number>();
  const result = new Array<number>(sets.length);
  for (const i of order) {
    const pick = candidates[i]!.find((p) => !claimed.has(p));
    const id = pick ?? mint();
    claimed.add(id);
    result[i] = id;
  }
  return result;
}
