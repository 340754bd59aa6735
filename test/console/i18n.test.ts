import { expect, it } from 'vitest';
import { en } from '../../console/src/i18n/en.js';
import { zhCN } from '../../console/src/i18n/zh-CN.js';

function leaves(obj: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(obj)) {
    if (value && typeof value === 'object') for (const [k, v] of leaves(value, `${prefix}${key}.`)) out.set(k, v);
    else out.set(`${prefix}${key}`, String(value));
  }
  return out;
}

it('has the same keys, none empty, and the same {{placeholders}} in zh-CN and en', () => {
  const zh = leaves(zhCN);
  const english = leaves(en);
  expect([...english.keys()].sort()).toEqual([...zh.keys()].sort());
  const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
  for (const [key, text] of zh) {
    expect(text.trim(), key).not.toBe('');
    expect(english.get(key)!.trim(), key).not.toBe('');
    expect(placeholders(english.get(key)!), key).toEqual(placeholders(text));
  }
});

it('every t() key used in the console exists', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const keys = leaves(zhCN);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.tsx?$/.test(entry.name)) files.push(full);
    }
  };
  walk('console/src');
  const missing: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z][\w.-]*)'/g)) if (!keys.has(m[1]!)) missing.push(`${file}: ${m[1]}`);
    for (const m of text.matchAll(/label: '([a-z]+\.[\w.]+)'/g)) if (!keys.has(m[1]!)) missing.push(`${file}: ${m[1]}`);
  }
  expect(missing).toEqual([]);
});
