import { expect, it } from 'vitest';
import { normaliseIdentifier } from '../../src/modules/identity/index.js';

it.each([
  ['13800138000', '+8613800138000'],
  ['138-0013-8000', '+8613800138000'],
  ['+86 138 0013 8000', '+8613800138000'],
  ['0086 13800138000', '+8613800138000'],
  ['１３８００１３８０００', '+8613800138000'], // full-width digits (Chinese input method)
  ['＋８６ １３８－００１３－８０００', '+8613800138000'], // full-width plus, hyphen, ideographic space
  ['\u202d138 0013 8000\u202c', '+8613800138000'], // copied from an iPhone contact
  ['138\u200b0013\u200b8000', '+8613800138000'], // zero-width spaces from a chat app
  ['138—0013—8000', '+8613800138000'], // em dashes
  ['（021）6234 5678', '+862162345678'], // Chinese parentheses around an area code
  ['+1 (415) 555-0100', '+14155550100'],
  ['138****8000', null], // masked by a marketplace export: never an identifier
  ['1.38001E+10', null], // Excel's scientific notation lost the digits
  ['1380013800', null],
])('phone %j → %j', (raw, expected) => {
  expect(normaliseIdentifier('phone', raw)).toBe(expected);
});

it.each([
  [' Wang.Fang@Example.COM ', 'wang.fang@example.com'],
  ['wang.fang＠example.com', 'wang.fang@example.com'], // full-width at sign
  ['ｗａｎｇ@example.com', 'wang@example.com'], // full-width letters
  ['wang\u200b@example.com', 'wang@example.com'], // a zero-width space pasted along
  ['王芳@例子.中国', '王芳@例子.中国'],
  ['not-an-email', null],
])('email %j → %j', (raw, expected) => {
  expect(normaliseIdentifier('email', raw)).toBe(expected);
});

it.each([
  ['member_no', ' MB001 ', 'MB001'],
  ['member_no', 'MB001\u200b', 'MB001'], // a zero-width space pasted from a spreadsheet
  ['member_no', '\ufeffMB001', 'MB001'], // a byte-order mark at the start of a pasted column
  ['member_no', 'ＭＢ００１', 'MB001'], // full-width, typed with a Chinese input method
  ['wechat_openid', '\u202do6_bmjrPTlm6_2sgVt7hMZOPfL2M\u202c', 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M'],
  ['userId', 'user\u200d-42', 'user-42'],
  ['userId', 'ｕｓｅｒ', 'ｕｓｅｒ'], // only member numbers are folded: a userId is the client's own, kept as sent
  ['userId', '用户 42', '用户 42'],
  ['member_no', '\u200b', null], // nothing left once the invisible characters go
  ['anonymousId', 'null\u200b', null], // a placeholder behind a zero-width space is still a placeholder
])('%s %j → %j', (type, raw, expected) => {
  expect(normaliseIdentifier(type, raw)).toBe(expected);
});
