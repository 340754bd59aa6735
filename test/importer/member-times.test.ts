import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport } from '../../src/modules/importer/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';
import { createWorkspace } from '../../src/modules/workspaces/index.js';
import { wallClockTime } from '../../src/platform/time/zones.js';

describe('wall-clock times as spreadsheets write them', () => {
  it.each([
    ['2026-01-05', 'Asia/Shanghai', '2026-01-04T16:00:00.000Z'],
    ['2026/1/5 20:30', 'Asia/Shanghai', '2026-01-05T12:30:00.000Z'],
    ['2026.01.05 08:00:05', 'Asia/Shanghai', '2026-01-05T00:00:05.000Z'],
    ['2026年1月5日', 'Asia/Shanghai', '2026-01-04T16:00:00.000Z'],
    ['2026年1月5日 09:15', 'Asia/Shanghai', '2026-01-05T01:15:00.000Z'],
    ['2026-07-01T12:00:00.250', 'America/New_York', '2026-07-01T16:00:00.250Z'], // daylight saving: UTC-4
    ['2026-01-01 12:00', 'America/New_York', '2026-01-01T17:00:00.000Z'],
  ])('%s in %s is %s', (text, zone, iso) => {
    expect(wallClockTime(text, zone)?.toISOString()).toBe(iso);
  });

  it('leaves times with an offset to the caller, and refuses days and hours the calendar lacks', () => {
    expect(wallClockTime('2026-01-05T08:00:00+08:00', 'UTC')).toBeUndefined();
    expect(wallClockTime('2026-01-05T08:00:00Z', 'UTC')).toBeUndefined();
    expect(wallClockTime('2026-02-30', 'UTC')).toBeNull();
    expect(wallClockTime('2026年13月1日', 'UTC')).toBeNull();
    expect(wallClockTime('2026-01-05 24:00', 'UTC')).toBeNull();
  });
});

describeEachDatabase('member import times', (ctx) => {
  it('reads joined_at without an offset as the workspace\'s wall clock, whatever the server\'s zone', async () => {
    const shanghai = await newWorkspace(ctx.database); // workspaces default to Asia/Shanghai
    const newYork = await createWorkspace(ctx.database.db, { name: `ny-${process.pid}-${Date.now()}`, timezone: 'America/New_York' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-times-')), 'members.csv');
    fs.writeFileSync(file, [
      'member_no,name,joined_at',
      'T1,王芳,2026-01-05 23:30',
      'T2,李娜,2026年3月8日',
      'T3,张伟,2026-02-30',
      'T4,刘洋,2026-01-05T08:00:00+08:00',
      'T5,陈静,20260-01-01',
    ].join('\n'));
    const run = (workspaceId: string) => runImport({ kind: 'members', file, apply: (records) => applyImportChunk(ctx.database, workspaceId, 'members', records) });
    const inShanghai = await run(shanghai.id);
    expect(inShanghai).toMatchObject({ imported: 3, rejected: 2 });
    expect(fs.readFileSync(inShanghai.rejectsFile!, 'utf8')).toBe('line,reason\n4,"joined_at ""2026-02-30"" is not a date"\n6,"joined_at ""20260-01-01"" is not a date"\n');
    const joined = async (workspaceId: string, memberNo: string) => (await lookupProfile(ctx.database.db, workspaceId, 'member_no', memberNo)).traits.joined_at;
    expect(await joined(shanghai.id, 'T1')).toBe('2026-01-05T15:30:00.000Z');
    expect(await joined(shanghai.id, 'T2')).toBe('2026-03-07T16:00:00.000Z');
    expect(await joined(shanghai.id, 'T4')).toBe('2026-01-05T00:00:00.000Z');
    await run(newYork.id);
    expect(await joined(newYork.id, 'T1')).toBe('2026-01-06T04:30:00.000Z');
    expect(await joined(newYork.id, 'T4')).toBe('2026-01-05T00:00:00.000Z');
  });
});
