import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.js';
import { renderTemplate, smsLength, validateTemplate, type TemplateBody } from '../../src/modules/templates/index.js';
import { TemplateData } from '../../src/modules/templates/schema.js';

function detailsOf(body: TemplateBody): { path?: string; message: string }[] {
  try {
    validateTemplate(body);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).details;
  }
  return [];
}

describe('template validation at save time', () => {
  it('names the part with a syntax error, an unknown filter, an unknown variable or a bad webhook body', () => {
    expect(detailsOf({ channel: 'email', parts: { subject: 'Hi {{ traits.name }}', html: '<p>{{ traits.name </p>' } }).map((d) => d.path)).toEqual(['parts.html']);
    const filter = detailsOf({ channel: 'email', parts: { subject: '{{ traits.name | shout }}', html: '<p>ok</p>', text: '{{ user.name }}' } });
    expect(filter.map((d) => d.path)).toEqual(['parts.subject', 'parts.text']);
    expect(filter[0]!.message).toMatch(/shout/);
    expect(filter[1]!.message).toMatch(/unknown variable user/);
    expect(detailsOf({ channel: 'wechat', parts: { templateId: 't', fields: { first: { value: 'ok' }, keyword1: { value: '{% if %}' } } } }).map((d) => d.path)).toEqual(['parts.fields.keyword1.value']);
    expect(detailsOf({ channel: 'webhook', parts: { body: '{"name": {{ traits.name }}' } }).map((d) => d.path)).toEqual(['parts.body']);
    expect(detailsOf({ channel: 'sms', parts: { text: '{{ coupon.code }}', rule: 'china', params: { code: '{{ coupon.code | upcase }}' } } })).toEqual([]);
  });
});

describe('rendering (千人千面)', () => {
  const data = TemplateData.parse({
    profile: { id: 7, traits: { name: '李<雷>', tier: 'gold', points: 1200 } },
    tags: ['vip', 'skincare'],
    event: { name: 'Order Completed', properties: { amount: 688, items: [{ name: '精华液' }] } },
    coupon: { code: 'SAVE30', value: 30 },
  });

  it('renders traits, tags, event properties and coupon data; escapes output in HTML only', () => {
    const { message } = renderTemplate(
      {
        channel: 'email',
        parts: {
          subject: '{{ traits.name }}，您的{{ coupon.value }}元券到了',
          html: '<p>Hi {{ traits.name }}</p>{% if tags contains "vip" %}<b>VIP</b>{% endif %}<p>{{ event.properties.items[0].name }} ¥{{ event.properties.amount }}</p>',
          text: '{{ traits.name }} {{ coupon.code }} {{ traits.missing | default: "朋友" }}',
        },
      },
      data,
    );
    expect(message).toMatchObject({
      channel: 'email',
      subject: '李<雷>，您的30元券到了',
      html: '<p>Hi 李&lt;雷&gt;</p><b>VIP</b><p>精华液 ¥688</p>',
      text: '李<雷> SAVE30 朋友',
    });
  });

  it('renders WeChat template fields and SMS with its length; webhook bodies to JSON', () => {
    const wechat = renderTemplate({ channel: 'wechat', parts: { templateId: 'TM1', fields: { first: { value: '{{ traits.name }}您好', color: '#173177' }, keyword1: { value: '{{ traits.points }}' } }, url: 'https://b.test/p/{{ profile.id }}' } }, data);
    expect(wechat.message).toEqual({ channel: 'wechat', templateId: 'TM1', data: { first: { value: '李<雷>您好', color: '#173177' }, keyword1: { value: '1200' } }, url: 'https://b.test/p/7' });
    const sms = renderTemplate({ channel: 'sms', parts: { text: '{{ traits.name }}，您的券码{{ coupon.code }}', signName: '品牌', rule: 'china', templateCode: 'SMS_1', params: { code: '{{ coupon.code }}' } } }, data);
    expect(sms.message).toEqual({ channel: 'sms', text: '李<雷>，您的券码SAVE30', templateCode: 'SMS_1', params: { code: 'SAVE30' } });
    expect(sms.sms).toEqual({ encoding: 'china', characters: 19, units: 19, segments: 1, perSegment: 70 });
    const hook = renderTemplate({ channel: 'webhook', parts: { body: '{"name": {{ traits.name | json }}, "tags": {{ tags | json }}}' } }, data);
    expect(hook.message).toEqual({ channel: 'webhook', payload: { name: '李<雷>', tags: ['vip', 'skincare'] } });
  });
});

describe('SMS length and segments', () => {
  it('counts GSM-7 (160/153, extension characters take two) and UCS-2 (70/67)', () => {
    expect(smsLength('a'.repeat(160), 'gsm')).toMatchObject({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(smsLength('a'.repeat(161), 'gsm')).toMatchObject({ units: 161, segments: 2, perSegment: 153 });
    expect(smsLength('€'.repeat(80), 'gsm')).toMatchObject({ encoding: 'gsm7', characters: 80, units: 160, segments: 1 });
    expect(smsLength('€'.repeat(81), 'gsm')).toMatchObject({ units: 162, segments: 2 });
    // 152 septets then an escape pair: the pair is not split, so it opens the second part
    expect(smsLength(`${'a'.repeat(152)}€${'a'.repeat(10)}`, 'gsm')).toMatchObject({ units: 164, segments: 2 });
    expect(smsLength('会'.repeat(70), 'gsm')).toMatchObject({ encoding: 'ucs2', segments: 1 });
    expect(smsLength('会'.repeat(71), 'gsm')).toMatchObject({ segments: 2, perSegment: 67 });
    expect(smsLength('a'.repeat(134) + '会', 'gsm')).toMatchObject({ encoding: 'ucs2', units: 135, segments: 3 });
    expect(smsLength('😀'.repeat(35), 'gsm')).toMatchObject({ characters: 35, units: 70, segments: 1 });
    expect(smsLength('😀'.repeat(36), 'gsm')).toMatchObject({ units: 72, segments: 2 });
  });

  it('counts every character as one at 70/67 under the mainland rule', () => {
    expect(smsLength('【品牌】' + '会'.repeat(66), 'china')).toMatchObject({ characters: 70, segments: 1 });
    expect(smsLength('【品牌】' + 'a'.repeat(67), 'china')).toMatchObject({ characters: 71, segments: 2 });
    expect(smsLength('x'.repeat(134), 'china')).toMatchObject({ segments: 2 });
    expect(smsLength('x'.repeat(135), 'china')).toMatchObject({ segments: 3 });
  });

  it('never shrinks when a character is added, and the parts hold the text', () => {
    const text = fc.array(fc.constantFrom('a', 'Z', ' ', '€', '[', '会', '😀', '\n'), { maxLength: 400 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, fc.constantFrom('gsm' as const, 'china' as const), fc.constantFrom('a', '€', '会', '😀'), (t, rule, extra) => {
        const before = smsLength(t, rule);
        const after = smsLength(t + extra, rule);
        expect(after.segments).toBeGreaterThanOrEqual(before.segments);
        expect(before.segments * before.perSegment).toBeGreaterThanOrEqual(before.units);
        if (before.segments > 1) expect((before.segments - 1) * before.perSegment).toBeLessThan(before.units);
      }),
      { numRuns: 300 },
    );
  });
});
