/**
 * Synthetic Segment traffic for the ingest benchmark: a pool of known people (userId + anonymousId, identified
 * during seeding) and ~10% of events from people never seen before. Deterministic for a given seed.
 */
export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
}

export function rng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}

const CITIES = ['上海', '北京', '杭州', '深圳', '广州', '成都', '南京', '武汉'];
const SKUS = ['LJ-SERUM-30', 'LJ-CREAM-50', 'LJ-MASK-5P', 'LJ-TONER-120', 'LJ-SUN-40', 'LJ-LIP-03'];
const PAGES = ['/home', '/product/serum', '/product/cream', '/cart', '/member', '/coupon'];
const TRACKS = ['Product Viewed', 'Product Added', 'Coupon Claimed', 'Mini Program Opened', 'Order Completed', 'Store Visited'];

export const knownUserId = (i: number) => `bench-u-${i}`;
export const knownAnonymousId = (i: number) => `bench-a-${i}`;

const context = (r: Rng) => ({
  library: { name: 'analytics-node', version: '3.1.0' },
  ip: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) MicroMessenger/8.0.47',
  locale: 'zh-CN',
});

const traitsOf = (i: number | string, r: Rng) => ({
  email: `member${i}@example.cn`,
  phone: `13${String(typeof i === 'number' ? i : r.int(0, 99_999_999)).padStart(9, '0')}`,
  name: `会员${i}`,
  city: r.pick(CITIES),
  tier: r.pick(['普通', '银卡', '金卡']),
});

/** Seeding: one identify per known person (userId, anonymousId, email and phone become linked identifiers). */
export function seedMessages(from: number, to: number, r: Rng, now: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    out.push({
      type: 'identify', messageId: `bench-seed-${i}`, userId: knownUserId(i), anonymousId: knownAnonymousId(i),
      traits: traitsOf(i, r), timestamp: new Date(now - 86_400_000).toISOString(), context: context(r),
    });
  }
  return out;
}

/**
 * Measured traffic: 10% from new people (anonymous page views, or a sign-up identify), the rest from the known
 * pool: 60% track, 20% page, 20% identify (trait updates).
 */
export function trafficMessage(seq: number, runTag: string, knownPool: number, r: Rng, now: number): Record<string, unknown> {
  const messageId = `${runTag}-${seq}`;
  const timestamp = new Date(now - r.int(0, 3_600_000)).toISOString();
  if (r.next() < 0.1) {
    const anonymousId = `${runTag}-new-a-${seq}`;
    if (r.next() < 0.4) {
      return { type: 'identify', messageId, userId: `${runTag}-new-u-${seq}`, anonymousId, traits: traitsOf(`${runTag}-${seq}`, r), timestamp, context: context(r) };
    }
    const path = r.pick(PAGES);
    return { type: 'page', messageId, anonymousId, name: path, properties: { path, url: `https://m.lanji.cn${path}`, referrer: 'https://servicewechat.com/' }, timestamp, context: context(r) };
  }
  const i = r.int(0, knownPool - 1);
  const ids = r.next() < 0.7 ? { userId: knownUserId(i), anonymousId: knownAnonymousId(i) } : r.next() < 0.5 ? { userId: knownUserId(i) } : { anonymousId: knownAnonymousId(i) };
  const kind = r.next();
  if (kind < 0.6) {
    const sku = r.pick(SKUS);
    return {
      type: 'track', messageId, ...ids, event: r.pick(TRACKS),
      properties: { sku, price: r.int(99, 899), quantity: r.int(1, 3), currency: 'CNY', channel: r.pick(['miniprogram', 'tmall', 'store']) },
      timestamp, context: context(r),
    };
  }
  if (kind < 0.8) {
    const path = r.pick(PAGES);
    return { type: 'page', messageId, ...ids, name: path, properties: { path, url: `https://m.lanji.cn${path}` }, timestamp, context: context(r) };
  }
  return { type: 'identify', messageId, userId: knownUserId(i), traits: { city: r.pick(CITIES), last_campaign: `c-${r.int(1, 40)}` }, timestamp, context: context(r) };
}
