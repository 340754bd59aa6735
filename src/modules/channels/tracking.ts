import { createHmac, timingSafeEqual } from 'node:crypto';
import { derivedKey } from './secret-box.js';

/**
 * Signed tokens for the public tracking endpoints: open pixel (`/t/o/<token>.gif`), click redirect (`/t/c/<token>`)
 * and unsubscribe (`/u/<token>`). The token carries what the endpoint needs (workspace, delivery, link) and an
 * HMAC over it, so the endpoints need no lookup to trust it and nobody can forge a redirect to an arbitrary site.
 */
export type TrackingKind = 'open' | 'click' | 'unsubscribe';

export interface TrackingClaims {
  kind: TrackingKind;
  workspaceId: string;
  deliveryId: string;
  /** Destination of a click. */
  url?: string | undefined;
}

const short: Record<TrackingKind, string> = { open: 'o', click: 'c', unsubscribe: 'u' };
const long: Record<string, TrackingKind> = { o: 'open', c: 'click', u: 'unsubscribe' };

function mac(body: string): Buffer {
  return createHmac('sha256', derivedKey('tracking')).update(body).digest().subarray(0, 16);
}

export function signTrackingToken(claims: TrackingClaims): string {
  const compact = { k: short[claims.kind], w: claims.workspaceId, d: claims.deliveryId, ...(claims.url ? { u: claims.url } : {}) };
  const body = Buffer.from(JSON.stringify(compact)).toString('base64url');
  return `${body}.${mac(body).toString('base64url')}`;
}

/** The claims of a genuine token of the expected kind, or undefined for anything forged, truncated or mistyped. */
export function verifyTrackingToken(token: string, kind: TrackingKind): TrackingClaims | undefined {
  const [body, signature] = token.split('.');
  if (!body || !signature) return undefined;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { k?: string; w?: string; d?: string; u?: string };
    if (!c.k || long[c.k] !== kind || typeof c.w !== 'string' || typeof c.d !== 'string') return undefined;
    return { kind, workspaceId: c.w, deliveryId: c.d, url: c.u };
  } catch {
    return undefined;
  }
}

/** Templates render `{{ message.unsubscribe_url }}` to this; the email adapter puts the delivery's real link in its place. */
export const UNSUBSCRIBE_URL_PLACEHOLDER = 'https://siyu.invalid/unsubscribe';

export interface TrackingUrls {
  openPixel: string;
  unsubscribe: string;
  click(url: string): string;
}

export function trackingUrls(publicUrl: string, workspaceId: string, deliveryId: string): TrackingUrls {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    openPixel: `${base}/t/o/${signTrackingToken({ kind: 'open', workspaceId, deliveryId })}.gif`,
    unsubscribe: `${base}/u/${signTrackingToken({ kind: 'unsubscribe', workspaceId, deliveryId })}`,
    click: (url) => `${base}/t/c/${signTrackingToken({ kind: 'click', workspaceId, deliveryId, url })}`,
  };
}

/**
 * Rewrites every http(s) link of an HTML body to a click redirect and adds the open pixel. Links the template marks
 * with `data-siyu-notrack`, and the unsubscribe link itself, are left alone.
 */
export function addTracking(html: string, urls: TrackingUrls): string {
  const rewritten = html.replace(/<a\b[^>]*>/gi, (tag) => {
    if (/\bdata-siyu-notrack\b/i.test(tag)) return tag;
    return tag.replace(/\bhref\s*=\s*(["'])(https?:\/\/[^"']+)\1/i, (whole, quote: string, href: string) => {
      const target = decodeEntities(href);
      if (target === urls.unsubscribe) return whole;
      return `href=${quote}${escapeAttribute(urls.click(target))}${quote}`;
    });
  });
  const pixel = `<img src="${escapeAttribute(urls.openPixel)}" width="1" height="1" alt="" style="display:none">`;
  return /<\/body>/i.test(rewritten) ? rewritten.replace(/<\/body>/i, `${pixel}</body>`) : `${rewritten}${pixel}`;
}

const decodeEntities = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** A 1×1 transparent GIF. */
export const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
