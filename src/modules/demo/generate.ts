import { createHash } from 'node:crypto';
import { ACQUISITION, BEHAVIOURS, CHANNELS, CITIES, GIVEN_FEMALE, GIVEN_MALE, GUIDES, PRODUCTS, SKIN_TYPES, STORES, SURNAMES, TIERS } from './catalogue.js';
import type { Random } from './random.js';

const DAY = 86_400_000;
const h = (s: string, n = 12) => createHash('sha1').update(s).digest('hex').slice(0, n);

export interface DemoChunk {
  messages: Array<Record<string, unknown>>;
  orders: Array<Record<string, unknown>>;
}

/**
 * Members `from … from+count-1` of the demo brand, with their Segment messages (identify, behaviour over six
 * months, anonymous browsing before joining for some, which OneID merges) and their orders. Deterministic for a
 * seed and a `now`.
 */
export function generateMembers(rand: Random, from: number, count: number, now: number): DemoChunk {
  const messages: DemoChunk['messages'] = [];
  const orders: DemoChunk['orders'] = [];
  for (let i = from; i < from + count; i++) {
    const female = rand.chance(0.86);
    const name = rand.pick(SURNAMES) + rand.pick(female ? GIVEN_FEMALE : GIVEN_MALE) + (rand.chance(0.6) ? rand.pick(female ? GIVEN_FEMALE : GIVEN_MALE) : '');
    // Newer members are more common: the brand is growing.
    const joinedAt = now - Math.floor(Math.pow(rand.next(), 1.4) * 180 * DAY);
    const store = rand.weighted(STORES.map((s, k) => [s, k === 0 ? 5 : 3] as const));
    const guides = GUIDES.filter((g) => g.storeId === store.id);
    const guide = rand.chance(0.55) ? rand.pick(guides) : undefined;
    const memberNo = `LJ${100000 + i}`;
    const phone = `1${rand.pick(['3', '5', '7', '8', '9'])}${String(rand.int(0, 999_999_999)).padStart(9, '0')}`;
    const userId = `lanji-${h(`user:${i}`, 10)}`;
    const externalIds: Array<{ id: string; type: string; collection: string; encoding: string }> = [
      { id: memberNo, type: 'member_no', collection: 'users', encoding: 'none' },
    ];
    if (rand.chance(0.75)) externalIds.push({ id: `oLJ_${h(`openid:${i}`, 22)}`, type: 'wechat_openid', collection: 'users', encoding: 'none' });
    if (rand.chance(0.7)) externalIds.push({ id: `uLJ_${h(`unionid:${i}`, 22)}`, type: 'wechat_unionid', collection: 'users', encoding: 'none' });
    if (guide || rand.chance(0.1)) externalIds.push({ id: `wmLJ${h(`wecom:${i}`, 20)}`, type: 'wecom_external_userid', collection: 'users', encoding: 'none' });
    const birthYear = rand.int(1972, 2005);
    const traits: Record<string, unknown> = {
      name,
      gender: female ? 'female' : 'male',
      birthday: `${birthYear}-${String(rand.int(1, 12)).padStart(2, '0')}-${String(rand.int(1, 28)).padStart(2, '0')}`,
      city: rand.pick(CITIES),
      phone,
      member_no: memberNo,
      tier: rand.pick(TIERS),
      skin_type: rand.pick(SKIN_TYPES),
      acquisition: rand.pick(ACQUISITION),
      home_store_id: store.id,
      ...(guide ? { guide_id: guide.id } : {}),
      joined_at: new Date(joinedAt).toISOString(),
      marketing_consent: { sms: rand.chance(0.7), email: rand.chance(0.5), wechat: rand.chance(0.8) },
    };
    if (rand.chance(0.2)) traits.email = `${h(`email:${i}`, 8)}@example.cn`;
    const anonymousId = rand.chance(0.15) ? `anon-${h(`anon:${i}`, 16)}` : undefined;
    const msgId = (kind: string, k = 0) => `demo:${kind}:${i}:${k}`;
    if (anonymousId) {
      // Browsed before joining; the sign-up call names both ids, so OneID merges the visitor into the member.
      const n = rand.int(2, 5);
      for (let k = 0; k < n; k++) {
        const ts = joinedAt - rand.int(1, 14) * DAY + rand.int(0, DAY);
        messages.push({ type: 'track', anonymousId, event: rand.pick(['Ad Clicked', 'Product Viewed', 'Product Searched']), properties: { sku: rand.pick(PRODUCTS).sku }, timestamp: new Date(ts).toISOString(), messageId: msgId('pre', k) });
      }
    }
    messages.push({ type: 'identify', userId, ...(anonymousId ? { anonymousId } : {}), traits, timestamp: new Date(joinedAt).toISOString(), context: { externalIds, channel: rand.pick(CHANNELS) }, messageId: msgId('join') });
    messages.push({ type: 'track', userId, event: 'Signed Up', properties: { method: traits.acquisition, store_id: store.id }, timestamp: new Date(joinedAt + 1000).toISOString(), messageId: msgId('signup') });
    const active = rand.next();
    const events = Math.round(active * active * 20);
    for (let k = 0; k < events; k++) {
      const ts = joinedAt + Math.floor(rand.next() * (now - joinedAt));
      const event = rand.weighted(BEHAVIOURS);
      const product = rand.pick(PRODUCTS);
      messages.push({
        type: 'track',
        userId,
        event,
        properties: event.startsWith('Product') || event === 'Checkout Started' ? { sku: product.sku, name: product.name, category: product.category, price: product.price } : { channel: rand.pick(CHANNELS) },
        timestamp: new Date(ts).toISOString(),
        messageId: msgId('ev', k),
      });
    }
    const orderCount = rand.chance(0.25) ? 0 : Math.min(12, 1 + Math.floor(-Math.log(1 - rand.next()) * 2.2));
    for (let k = 0; k < orderCount; k++) {
      const orderedAt = joinedAt + Math.floor(rand.next() * (now - joinedAt));
      const channel = rand.pick(CHANNELS);
      const items = Array.from({ length: rand.weighted([[1, 6], [2, 3], [3, 1]] as const) }, () => {
        const p = rand.pick(PRODUCTS);
        return { sku: p.sku, name: p.name, category: p.category, quantity: rand.weighted([[1, 8], [2, 2]] as const), price: p.price };
      });
      const total = Math.round(items.reduce((s, it) => s + it.price * it.quantity, 0) * 100) / 100;
      const discount = total >= 500 && rand.chance(0.4) ? 50 : 0;
      const roll = rand.next();
      const status = roll < 0.93 ? 'paid' : roll < 0.97 ? 'refunded' : roll < 0.985 ? 'partially_refunded' : 'cancelled';
      const paid = total - discount;
      orders.push({
        orderId: `LJO${String(i).padStart(6, '0')}${String(k).padStart(2, '0')}`,
        customer: { externalIds: [{ type: 'member_no', id: memberNo }] },
        storeId: channel === 'store' || channel === 'wecom' ? store.id : null,
        guideId: (channel === 'store' || channel === 'wecom') && guide ? guide.id : null,
        channel,
        status,
        totalAmount: total,
        discountAmount: discount,
        refundedAmount: status === 'refunded' ? paid : status === 'partially_refunded' ? Math.round(paid * 30) / 100 : 0,
        items,
        orderedAt: new Date(orderedAt).toISOString(),
        ...(status === 'refunded' || status === 'partially_refunded' ? { refundedAt: new Date(Math.min(now, orderedAt + 3 * DAY)).toISOString() } : {}),
        ...(status === 'cancelled' ? { cancelledAt: new Date(orderedAt + 3_600_000).toISOString() } : {}),
      });
    }
  }
  return { messages, orders };
}

/**
 * Prospects: anonymous visitors reached by ads and search who never joined (the "A" of AIPL), some of whom went on to
 * look at a product. They make the funnel start where a brand's does: many more people aware than members.
 */
export function generateProspects(rand: Random, count: number, now: number): DemoChunk['messages'] {
  const messages: DemoChunk['messages'] = [];
  for (let i = 0; i < count; i++) {
    const anonymousId = `anon-p-${h(`prospect:${i}`, 16)}`;
    const first = now - rand.int(0, 80) * DAY - rand.int(0, DAY);
    const n = rand.int(1, 3);
    for (let k = 0; k < n; k++) {
      const ts = Math.min(now, first + k * rand.int(0, 5) * DAY);
      const event = k > 0 && rand.chance(0.25) ? 'Product Viewed' : rand.pick(['Ad Viewed', 'Ad Viewed', 'Product Searched']);
      const product = rand.pick(PRODUCTS);
      messages.push({
        type: 'track', anonymousId, event,
        properties: event === 'Ad Viewed' ? { channel: rand.pick(['douyin_ad', 'oa_article', 'live_stream']), sku: product.sku } : { sku: product.sku, query: product.category },
        timestamp: new Date(ts).toISOString(), messageId: `demo:prospect:${i}:${k}`,
      });
    }
  }
  return messages;
}
