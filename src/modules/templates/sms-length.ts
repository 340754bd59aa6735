/**
 * How many SMS an SMS text costs.
 * - `gsm` (GSM 03.38, international gateways): texts entirely in the GSM 7-bit alphabet take 160 septets in one SMS
 *   or 153 per part of a long one, extension characters (`^{}\[~]|€` and form feed) taking two and never split; any
 *   other character switches the whole text to UCS-2: 70 UTF-16 units, 67 per part, surrogate pairs never split.
 * - `china` (Aliyun, Tencent Cloud and other mainland operators): every character, Chinese or not, counts one,
 *   the 【signature】 included: 70 in one SMS, 67 per part of a long one.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';
const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export type SmsCountingRule = 'gsm' | 'china';

export interface SmsLength {
  encoding: 'gsm7' | 'ucs2' | 'china';
  /** Characters (code points) of the full text. */
  characters: number;
  /** What the limit counts: septets (gsm7), UTF-16 units (ucs2), characters (china). */
  units: number;
  segments: number;
  /** Units one SMS holds at this length: the single limit, or the per-part limit of a long SMS. */
  perSegment: number;
}

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!basic.has(ch) && !extension.has(ch)) return false;
  return true;
}

/** Packs units into parts without splitting an indivisible unit (an escape pair, a surrogate pair). */
function countSegments(weights: number[], single: number, multi: number): { units: number; segments: number; perSegment: number } {
  const units = weights.reduce((a, b) => a + b, 0);
  if (units === 0) return { units, segments: 0, perSegment: single };
  if (units <= single) return { units, segments: 1, perSegment: single };
  let segments = 1;
  let fill = 0;
  for (const w of weights) {
    if (fill + w > multi) {
      segments += 1;
      fill = 0;
    }
    fill += w;
  }
  return { units, segments, perSegment: multi };
}

export function smsLength(text: string, rule: SmsCountingRule = 'gsm'): SmsLength {
  const chars = [...text];
  if (rule === 'china') return { encoding: 'china', characters: chars.length, ...countSegments(chars.map(() => 1), 70, 67) };
  if (isGsm7(text)) return { encoding: 'gsm7', characters: chars.length, ...countSegments(chars.map((c) => (extension.has(c) ? 2 : 1)), 160, 153) };
  return { encoding: 'ucs2', characters: chars.length, ...countSegments(chars.map((c) => c.length), 70, 67) };
}
