import { afterEach, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/modules/ingest/timestamps.js';

const zone = process.env.TZ;
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

it.each(['UTC', 'Asia/Shanghai', 'America/New_York'])('reads a timestamp the same way on a server set to %s (no offset means UTC)', (serverZone) => {
  process.env.TZ = serverZone; // Node applies a changed TZ to Date at once
  expect(parseTimestamp('2026-01-05T10:00:00')?.toISOString()).toBe('2026-01-05T10:00:00.000Z');
  expect(parseTimestamp('2026-01-05 10:00:00.250')?.toISOString()).toBe('2026-01-05T10:00:00.250Z');
  expect(parseTimestamp('2026-01-05')?.toISOString()).toBe('2026-01-05T00:00:00.000Z');
  expect(parseTimestamp('2026-01-05T10:00:00+08:00')?.toISOString()).toBe('2026-01-05T02:00:00.000Z');
  expect(parseTimestamp('2026-01-05T10:00:00.000Z')?.toISOString()).toBe('2026-01-05T10:00:00.000Z');
  expect(parseTimestamp(1767607200000)?.toISOString()).toBe('2026-01-05T10:00:00.000Z');
  expect(parseTimestamp('2026-13-05T10:00:00')).toBeNull();
  expect(parseTimestamp('yesterday')).toBeNull();
  expect(parseTimestamp('')).toBeUndefined();
});
