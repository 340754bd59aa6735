import { expect, it } from 'vitest';
import { z } from 'zod';
import { DATE_EXPECTED, requestDate, STORABLE_DATE_RANGE } from '../../src/platform/http/validation.js';

it('request dates: clear messages for text that is not a date and for dates the database cannot store', () => {
  const schema = z.object({ at: requestDate });
  const message = (at: unknown) => {
    const r = schema.safeParse({ at });
    return r.success ? null : r.error.issues.map((i) => i.message).join('; ');
  };
  expect(message('2026-01-31')).toBeNull();
  expect(schema.parse({ at: '2026-01-31T08:00:00+08:00' }).at.toISOString()).toBe('2026-01-31T00:00:00.000Z');
  expect(message('not a date')).toBe(DATE_EXPECTED);
  expect(message('-271821-04-20T00:00:00.000Z')).toBe(STORABLE_DATE_RANGE);
});
