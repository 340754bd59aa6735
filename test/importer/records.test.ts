import { expect, it } from 'vitest';
import { memberRowToMessage } from '../../src/modules/importer/index.js';

it('takes columns named like built-in object properties for traits, not identifier types', () => {
  const r = memberRowToMessage({ line: 2, record: { member_no: 'A1', constructor: 'x', toString: 'y', hasOwnProperty: 'w' } }, new Date('2026-01-01T00:00:00Z'));
  if (!('message' in r)) throw new Error(r.reject.reason);
  expect(r.message.identifiers).toEqual([{ type: 'member_no', value: 'A1' }]);
  expect(r.message.traits).toEqual({ constructor: 'x', toString: 'y', hasOwnProperty: 'w' });
  expect(r.message.context).toEqual({ externalIds: [{ id: 'A1', type: 'member_no', collection: 'users', encoding: 'none' }], library: { name: 'siyu-import' } });
});

it('recognises identifier and time columns whatever their case and surrounding spaces, row after row', () => {
  for (let i = 0; i < 3; i++) {
    const r = memberRowToMessage({ line: 2 + i, record: { ' Member_No ': `M${i}`, MOBILE: '13900000001', ' Joined_At': '2026-02-03', Name: '王芳' } }, new Date('2026-01-01T00:00:00Z'));
    if (!('message' in r)) throw new Error(r.reject.reason);
    expect(r.message.identifiers).toEqual([{ type: 'phone', value: '+8613900000001' }, { type: 'member_no', value: `M${i}` }]);
    expect(r.message.timestamp.toISOString()).toBe('2026-02-03T00:00:00.000Z');
    expect(r.message.traits).toEqual({ phone: '13900000001', joined_at: '2026-02-03T00:00:00.000Z', Name: '王芳' }); // a known column under its own name
  }
});
