import type { Db } from '../../platform/db/database.js';
import { invalid, notFound } from '../../platform/errors.js';
import { getChannelConfig } from '../channels/index.js';
import { createSegment } from '../segments/index.js';
import { createTemplate, type TemplateInput } from '../templates/index.js';
import type { JourneyView } from './schema.js';
import { createJourney } from './service.js';

/**
 * Built-in lifecycle journeys for a brand (the seeds' seven automated journeys). A blueprint's send nodes carry their
 * copy (`message`) instead of ids: installing one creates the message templates on the chosen channel, the segment
 * it starts from when it needs one, and a draft journey ready to publish.
 */
interface Blueprint {
  key: string;
  name: string;
  description: string;
  /** Segment created at install for a segment_entered trigger. */
  segment?: { name: string; rule: unknown };
  definition: Record<string, unknown>;
}

const send = (id: string, text: string, subject: string) => ({ id, type: 'send', message: { text, subject } });
const wait = (id: string, days: number, hours = 0) => ({ id, type: 'wait', duration: { days, hours } });
const chain = (ids: string[]) => ids.slice(1).map((to, i) => ({ from: ids[i]!, to }));
const orderGoal = { event: 'Order Completed' };

export const BLUEPRINTS: Blueprint[] = [
  {
    key: 'welcome_series',
    name: '新会员欢迎旅程 (22-day golden window)',
    description: 'Welcome on sign-up, a first-purchase nudge on day 3, points on day 7, a last reminder on day 21; goal: first order.',
    definition: {
      trigger: { type: 'event', event: 'Signed Up' },
      start: 'welcome',
      nodes: [
        send('welcome', '{{ traits.name }}，欢迎加入会员！新人礼已放入您的账户。', 'Welcome'),
        wait('day3', 3),
        send('nudge', '{{ traits.name }}，您的新人礼还未使用，首单享专属优惠。', 'Your welcome gift is waiting'),
        wait('day7', 4),
        { id: 'points', type: 'award_points', points: 100, reason: 'welcome series day 7' },
        send('points_sms', '已为您赠送 100 积分，可在积分商城兑换好礼。', '100 points for you'),
        wait('day21', 14),
        send('last_call', '{{ traits.name }}，新人专享即将到期，别错过。', 'Last call'),
      ],
      edges: chain(['welcome', 'day3', 'nudge', 'day7', 'points', 'points_sms', 'day21', 'last_call']),
      policies: { reentry: 'never', goal: orderGoal },
    },
  },
  {
    key: 'registration_pending',
    name: '注册未完成验证提醒',
    description: 'Registration started but not verified within an hour: remind, then once more a day later.',
    definition: {
      trigger: { type: 'event', event: 'Registration Started' },
      start: 'wait_verify',
      nodes: [
        { id: 'wait_verify', type: 'wait_for_event', event: 'Registration Verified', timeoutHours: 1 },
        send('remind', '您的注册还差一步：请完成手机验证，即可领取会员权益。', 'Finish your registration'),
        { id: 'wait_again', type: 'wait_for_event', event: 'Registration Verified', timeoutHours: 24 },
        send('remind_again', '会员权益为您保留中，完成验证即可使用。', 'Your membership is waiting'),
        { id: 'done', type: 'exit' },
      ],
      edges: [
        { from: 'wait_verify', to: 'done', branch: 'event' },
        { from: 'wait_verify', to: 'remind', branch: 'timeout' },
        { from: 'remind', to: 'wait_again' },
        { from: 'wait_again', to: 'remind_again', branch: 'timeout' },
        { from: 'wait_again', to: 'done', branch: 'event' },
      ],
      policies: { reentry: 'after_finish' },
    },
  },
  {
    key: 'dormant_winback',
    name: '沉睡会员唤醒 (90 days)',
    description: 'Members with no purchase in 90 days: a win-back message, a second one with points a week later; goal: an order.',
    segment: { name: 'Dormant 90 days (journey)', rule: { condition: { kind: 'and', conditions: [{ kind: 'order', measure: 'count', op: 'gte', value: 1 }, { kind: 'order_time', which: 'last', op: 'not_within_last_days', days: 90 }] } } },
    definition: {
      trigger: { type: 'segment_entered', segmentId: '$segment' },
      start: 'winback',
      nodes: [
        send('winback', '{{ traits.name }}，好久不见！您的专属回归礼已到账。', 'We miss you'),
        wait('week', 7),
        { id: 'points', type: 'award_points', points: 200, reason: 'win-back' },
        send('second', '再送您 200 积分，本周下单可抵现。', '200 points to welcome you back'),
        wait('cool_down', 30),
      ],
      edges: chain(['winback', 'week', 'points', 'second', 'cool_down']),
      policies: { reentry: 'after_finish', goal: orderGoal },
    },
  },
  {
    key: 'repurchase_reminder',
    name: '复购提醒 (product used up)',
    description: 'Twenty-five days after an order (a 30-day product), remind to restock unless they bought again.',
    definition: {
      trigger: { type: 'event', event: 'Order Completed' },
      start: 'use_up',
      nodes: [
        wait('use_up', 25),
        { id: 'bought_again', type: 'condition', rule: { condition: { kind: 'event', event: 'Order Completed', window: { type: 'last_days', days: 24 } } } },
        { id: 'at_ten', type: 'wait_until', time: '10:00' },
        send('remind', '{{ traits.name }}，您上次购买的产品快用完了吧？回购享会员价。', 'Time to restock'),
        { id: 'done', type: 'exit' },
      ],
      edges: [{ from: 'use_up', to: 'bought_again' }, { from: 'bought_again', to: 'done', branch: 'yes' }, { from: 'bought_again', to: 'at_ten', branch: 'no' }, { from: 'at_ten', to: 'remind' }],
      policies: { reentry: 'any_time' },
    },
  },
  {
    key: 'renewal_reminder',
    name: '会员续费提醒',
    description: 'Thirty days before `membership_expires_at`, remind; a week before, remind again.',
    definition: {
      trigger: { type: 'date', trait: 'membership_expires_at', match: 'exact', offsetDays: -30, at: '10:00' },
      start: 'first',
      nodes: [send('first', '您的会员将于 30 天后到期，续费即享双倍积分。', 'Your membership expires in 30 days'), wait('later', 23), send('second', '会员还有 7 天到期，立即续费保留等级权益。', '7 days left')],
      edges: chain(['first', 'later', 'second']),
      policies: { reentry: 'after_finish', goal: { event: 'Membership Renewed' } },
    },
  },
  {
    key: 'birthday_gift',
    name: '生日礼',
    description: 'On the birthday at 09:00: 200 birthday points and a greeting.',
    definition: {
      trigger: { type: 'date', trait: 'birthday', match: 'anniversary', offsetDays: 0, at: '09:00' },
      start: 'gift',
      nodes: [{ id: 'gift', type: 'award_points', points: 200, reason: 'birthday gift' }, send('greeting', '{{ traits.name }}，生日快乐！200 生日积分已到账。', 'Happy birthday')],
      edges: chain(['gift', 'greeting']),
      policies: { reentry: 'after_finish' },
    },
  },
  {
    key: 'abandoned_cart',
    name: '购物车放弃挽回',
    description: 'Checkout started and no order within two hours: a reminder; another the next day if still no order.',
    definition: {
      trigger: { type: 'event', event: 'Checkout Started' },
      start: 'wait_order',
      nodes: [
        { id: 'wait_order', type: 'wait_for_event', event: 'Order Completed', timeoutHours: 2 },
        send('remind', '您挑选的 {{ event.properties.name }} 还在购物车里，库存有限。', 'You left something behind'),
        { id: 'wait_more', type: 'wait_for_event', event: 'Order Completed', timeoutHours: 24 },
        send('last', '购物车商品今日下单享包邮。', 'Free shipping today'),
        { id: 'done', type: 'exit' },
      ],
      edges: [
        { from: 'wait_order', to: 'done', branch: 'event' },
        { from: 'wait_order', to: 'remind', branch: 'timeout' },
        { from: 'remind', to: 'wait_more' },
        { from: 'wait_more', to: 'done', branch: 'event' },
        { from: 'wait_more', to: 'last', branch: 'timeout' },
      ],
      policies: { reentry: 'after_finish', goal: orderGoal },
    },
  },
];

export const listJourneyTemplates = () => BLUEPRINTS.map(({ key, name, description, definition }) => ({ key, name, description, trigger: definition.trigger }));

function partsFor(channel: string, message: { text: string; subject: string }): TemplateInput['parts'] {
  switch (channel) {
    case 'sms':
    case 'wecom':
      return { text: message.text, rule: 'china' };
    case 'email':
      return { subject: message.subject, html: `<p>${message.text}</p>`, text: message.text };
    case 'webhook':
      return { body: `{"text": "${message.text}", "profileId": {{ profile.id | json }}}` };
    default:
      throw invalid(`built-in journeys write plain-text messages; a ${channel} channel needs its own templates`, [{ path: 'body.channelId', message: `use an sms, email, wecom or webhook channel` }]);
  }
}

/** Installs a built-in journey as a draft: templates on `channelId`, its segment if it needs one. */
export async function installJourneyTemplate(db: Db, workspaceId: string, key: string, opts: { channelId: string; name?: string | undefined }): Promise<JourneyView> {
  const blueprint = BLUEPRINTS.find((b) => b.key === key);
  if (!blueprint) throw notFound(`journey template ${key}`);
  const channel = (await getChannelConfig(db, workspaceId, opts.channelId)).channel;
  const definition = structuredClone(blueprint.definition) as { trigger: Record<string, unknown>; nodes: Array<Record<string, unknown>> };
  for (const node of definition.nodes) {
    if (node.type !== 'send') continue;
    const message = node.message as { text: string; subject: string };
    const template = await createTemplate(db, workspaceId, { name: `${blueprint.name} · ${String(node.id)}`, channel, parts: partsFor(channel, message) } as TemplateInput);
    delete node.message;
    Object.assign(node, { channelId: opts.channelId, templateId: template.id });
  }
  if (blueprint.segment) {
    const segment = await createSegment(db, workspaceId, blueprint.segment as Parameters<typeof createSegment>[2]);
    definition.trigger.segmentId = segment.id;
  }
  return createJourney(db, workspaceId, { name: opts.name ?? blueprint.name, definition }, blueprint.key);
}
