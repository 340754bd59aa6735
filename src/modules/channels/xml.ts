import { XMLParser } from 'fast-xml-parser';

/**
 * The flat `<xml>…</xml>` documents WeChat and WeCom push: every field as a string (ids must not become numbers). A
 * list of `<Item>`s (WeCom's `MemChangeList` of user ids) becomes its items joined by commas, which no WeCom id holds.
 */
const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: true, processEntities: false, trimValues: true });

export function parseWxXml(xml: string): Record<string, string> {
  const doc = parser.parse(xml) as { xml?: Record<string, unknown> };
  const root = doc.xml;
  if (!root || typeof root !== 'object') throw new Error('not a WeChat XML document');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(root)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v && typeof v === 'object' && 'Item' in v) {
      const items = (v as { Item: unknown }).Item;
      out[k] = (Array.isArray(items) ? items : [items]).filter((i) => typeof i === 'string').join(',');
    }
  }
  return out;
}

const cdata = (s: string) => `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;

/** Builds a reply document; numbers are written bare, strings in CDATA, as the published samples do. */
export function buildWxXml(fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([k, v]) => `<${k}>${typeof v === 'number' ? v : cdata(v)}</${k}>`)
    .join('');
  return `<xml>${body}</xml>`;
}
