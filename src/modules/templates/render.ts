import { Liquid, type Template } from 'liquidjs';
import { invalid, type ErrorDetail } from '../../platform/errors.js';
import { UNSUBSCRIBE_URL_PLACEHOLDER, type ChannelMessage } from '../channels/index.js';
import { TEMPLATE_ROOTS, type TemplateBody, type TemplateData } from './schema.js';
import { smsLength, type SmsLength } from './sms-length.js';

/**
 * LiquidJS over the person (traits, tags), the triggering event, coupon and points data. Filters are strict at save
 * and send (an unknown filter is a typo); variables are checked at save against the known roots, and at send a
 * trait a person lacks renders empty instead of failing the send. HTML parts escape what they output.
 */
const options = { strictFilters: true, ownPropertyOnly: true, jsTruthy: false, cache: 200 } as const;
const textEngine = new Liquid({ ...options, strictVariables: false });
const htmlEngine = new Liquid({ ...options, strictVariables: false, outputEscape: 'escape' });
htmlEngine.registerFilter('raw', (v: unknown) => v); // for trusted HTML snippets from coupon/points data

type Kind = 'text' | 'html';

/**
 * Parsed Liquid by engine and source: a send renders the same few templates for every person (a fan-out of a
 * million), and parsing each time was most of the render's CPU. Bounded: cleared when it reaches PARSED_MAX sources.
 */
const PARSED_MAX = 500;
const parsed = new Map<string, Template[]>();
function parsedOf(part: { source: string; kind: Kind }): Template[] {
  const key = `${part.kind}\u0000${part.source}`;
  let tpl = parsed.get(key);
  if (!tpl) {
    tpl = engineOf(part.kind).parse(part.source);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(key, tpl);
  }
  return tpl;
}
interface Part {
  path: string;
  source: string;
  kind: Kind;
}

/** Every Liquid string of a template, with its path inside `parts` (e.g. `fields.keyword1.value`). */
export function templateParts(input: TemplateBody): Part[] {
  const out: Part[] = [];
  const add = (path: string, source: string | undefined, kind: Kind = 'text') => {
    if (source !== undefined) out.push({ path, source, kind });
  };
  switch (input.channel) {
    case 'email':
      add('subject', input.parts.subject);
      add('html', input.parts.html, 'html');
      add('text', input.parts.text);
      break;
    case 'sms':
      add('text', input.parts.text);
      for (const [k, v] of Object.entries(input.parts.params ?? {})) add(`params.${k}`, v);
      break;
    case 'wechat':
      for (const [k, v] of Object.entries(input.parts.fields)) add(`fields.${k}.value`, v.value);
      add('url', input.parts.url);
      add('miniprogram.pagepath', input.parts.miniprogram?.pagepath);
      break;
    case 'wecom':
      add('text', input.parts.text);
      break;
    case 'webhook':
      add('body', input.parts.body);
      break;
  }
  return out;
}

const engineOf = (kind: Kind) => (kind === 'html' ? htmlEngine : textEngine);

/** Sample data used to try a template at save time: every root present, every value empty. */
const SAMPLE: TemplateData = { profile: { traits: {} }, tags: [], event: { properties: {} }, coupon: {}, points: {} };

/**
 * Save-time check: each part parses, names only known roots, and renders; a webhook body renders to JSON. Throws a
 * 400 whose details name the part (`parts.html`, `parts.fields.first.value`).
 */
export function validateTemplate(input: TemplateBody): void {
  const details: ErrorDetail[] = [];
  for (const part of templateParts(input)) {
    const path = `parts.${part.path}`;
    let parsed: Template[];
    try {
      parsed = engineOf(part.kind).parse(part.source);
    } catch (err) {
      details.push({ path, message: firstLine(err) });
      continue;
    }
    const unknownRoots = engineOf(part.kind)
      .globalVariableSegmentsSync(parsed)
      .map((segments) => String(segments[0]))
      .filter((root) => !(TEMPLATE_ROOTS as readonly string[]).includes(root));
    if (unknownRoots.length) {
      details.push({ path, message: `unknown variable ${[...new Set(unknownRoots)].join(', ')}: use ${TEMPLATE_ROOTS.join(', ')}` });
      continue;
    }
    try {
      const sample = sampleContext(engineOf(part.kind).globalVariableSegmentsSync(parsed));
      const rendered = engineOf(part.kind).renderSync(parsed, sample) as string;
      if (input.channel === 'webhook') JSON.parse(rendered);
    } catch (err) {
      details.push({ path, message: firstLine(err) });
    }
  }
  if (details.length) throw invalid(`template error in ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}

/**
 * The render context for a save-time trial: every root present, and every deeper path the template names set to a
 * placeholder, so `{{ traits.name | json }}` in a webhook body renders to valid JSON before anyone has a name.
 */
function sampleContext(paths: ReadonlyArray<ReadonlyArray<unknown>>): Record<string, unknown> {
  // A fresh sample per trial (the placeholders must not pile up in a shared one), walked and filled by own
  // properties only: `{{ traits.__proto__.x }}` names a trait called `__proto__`, and a plain assignment through it
  // wrote `x` onto Object.prototype for the whole process.
  const context = renderContext(structuredClone(SAMPLE)) as Record<string, unknown>;
  const own = (node: Record<string, unknown>, key: string) => (Object.hasOwn(node, key) ? node[key] : undefined);
  const put = (node: Record<string, unknown>, key: string, value: unknown) =>
    Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
  for (const path of paths) {
    if (path.length < 2 || !path.every((k) => typeof k === 'string' || typeof k === 'number')) continue;
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(String(path[0]))) continue;
    let node = context as Record<string, unknown>;
    for (const [i, key] of path.entries()) {
      if (i === path.length - 1) {
        if (own(node, String(key)) === undefined) put(node, String(key), 'sample');
      } else {
        const next = own(node, String(key));
        if (typeof next !== 'object' || next === null) put(node, String(key), {});
        node = own(node, String(key)) as Record<string, unknown>;
      }
    }
  }
  return context;
}

const firstLine = (err: unknown) => String((err as Error).message ?? err).split('\n')[0]!;

export function renderContext(data: TemplateData, extra: { unsubscribeUrl?: string; workspace?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    profile: data.profile,
    traits: data.profile.traits,
    tags: data.tags,
    event: data.event,
    coupon: data.coupon,
    points: data.points,
    workspace: extra.workspace ?? {},
    message: { unsubscribe_url: extra.unsubscribeUrl ?? UNSUBSCRIBE_URL_PLACEHOLDER },
  };
}

export interface Rendered {
  message: ChannelMessage;
  /** For SMS: length and segment count of the full text (signature included). */
  sms?: SmsLength;
}

/** Renders a saved (hence valid) template into a message any channel adapter takes. */
export function renderTemplate(input: TemplateBody, data: TemplateData, extra: Parameters<typeof renderContext>[1] = {}): Rendered {
  const context = renderContext(data, extra);
  const out = new Map<string, string>();
  for (const part of templateParts(input)) out.set(part.path, engineOf(part.kind).renderSync(parsedOf(part), context) as string);
  const get = (path: string) => out.get(path) ?? '';
  switch (input.channel) {
    case 'email':
      return { message: { channel: 'email', subject: get('subject').trim(), html: get('html'), text: out.get('text'), tracking: true, transactional: false } };
    case 'sms': {
      const params = input.parts.params ? Object.fromEntries(Object.keys(input.parts.params).map((k) => [k, get(`params.${k}`)])) : undefined;
      const full = `${input.parts.signName ? `【${input.parts.signName}】` : ''}${get('text')}`;
      return {
        message: { channel: 'sms', text: get('text'), ...(input.parts.templateCode ? { templateCode: input.parts.templateCode } : {}), ...(params ? { params } : {}) },
        sms: smsLength(full, input.parts.rule),
      };
    }
    case 'wechat': {
      const data = Object.fromEntries(Object.entries(input.parts.fields).map(([k, v]) => [k, { value: get(`fields.${k}.value`), ...(v.color ? { color: v.color } : {}) }]));
      const miniprogram = input.parts.miniprogram ? { appid: input.parts.miniprogram.appid, ...(out.has('miniprogram.pagepath') ? { pagepath: get('miniprogram.pagepath') } : {}) } : undefined;
      return { message: { channel: 'wechat', templateId: input.parts.templateId, data, ...(out.has('url') ? { url: get('url') } : {}), ...(miniprogram ? { miniprogram } : {}) } };
    }
    case 'wecom':
      return { message: { channel: 'wecom', kind: 'external_contact', text: get('text'), ...(input.parts.attachments ? { attachments: input.parts.attachments } : {}) } };
    case 'webhook':
      return { message: { channel: 'webhook', payload: JSON.parse(get('body')) as Record<string, unknown> } };
  }
}
