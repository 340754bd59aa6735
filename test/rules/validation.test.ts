import { expect, it } from 'vitest';
import { validateRule } from '../../src/modules/rules/index.js';
import { createSegment, updateSegment } from '../../src/modules/segments/index.js';
import { archiveTag, createTag, createTagGroup } from '../../src/modules/tags/index.js';
import { AppError } from '../../src/platform/errors.js';
import { describeEachDatabase } from '../support/databases.js';
import { newTestWorkspace } from './seed.js';

async function issuesOf(promise: Promise<unknown>): Promise<Array<{ path?: string; message: string }>> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_request');
    return (err as AppError).details;
  }
  throw new Error('expected the rule to be rejected');
}

describeEachDatabase('rule validation', (ctx) => {
  it('points at the offending node: unknown field, unknown kind, wrong operator for the type, wrong value type', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const unknownField = await issuesOf(validateRule(db, ws.id, { version: 1, condition: { kind: 'and', conditions: [{ kind: 'trait', trait: 'age', type: 'number', op: 'gt', value: 1, colour: 'red' }] } }));
    expect(unknownField.map((d) => d.path)).toEqual(['rule.condition.conditions[0]']);
    expect(unknownField[0]!.message).toMatch(/colour/);

    const unknownKind = await issuesOf(validateRule(db, ws.id, { version: 1, condition: { kind: 'not', condition: { kind: 'horoscope' } } }));
    expect(unknownKind[0]!.path).toBe('rule.condition.condition.kind');

    const badType = await issuesOf(validateRule(db, ws.id, { version: 1, condition: { kind: 'trait', trait: 'age', type: 'colour', op: 'eq', value: 1 } }));
    expect(badType[0]!.path).toBe('rule.condition.type');

    const mismatch = await issuesOf(
      validateRule(db, ws.id, {
        condition: {
          kind: 'or',
          conditions: [
            { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' },
            { kind: 'trait', trait: 'plan', type: 'string', op: 'gt', value: 'gold' },
            { kind: 'trait', trait: 'age', type: 'number', op: 'eq', value: 'eighteen' },
            { kind: 'event', event: 'Viewed', where: [{ property: 'price', op: 'gt', value: 'cheap' }] },
            { kind: 'trait', trait: 'birthday', type: 'date', op: 'before', value: '2025-02-30' },
            { kind: 'order_time', which: 'last', op: 'before' },
          ],
        },
      }),
    );
    expect(mismatch.map((d) => d.path)).toEqual([
      'rule.condition.conditions[1].op',
      'rule.condition.conditions[2].value',
      'rule.condition.conditions[3].where[0].op',
      'rule.condition.conditions[4].value',
      'rule.condition.conditions[5].date',
    ]);
  });

  it('rejects references to missing or archived tags and cyclic segment references', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const missing = await issuesOf(validateRule(db, ws.id, { condition: { kind: 'segment', op: 'in', segment: 'seg_nope' } }));
    expect(missing).toEqual([{ path: 'rule.condition.segment', message: 'no such segment: seg_nope' }]);

    const group = await createTagGroup(db, ws.id, { name: 'g', category: 'custom' });
    const old = await createTag(db, ws.id, { groupId: group.id, name: 'old' });
    await archiveTag(db, ws.id, old.id, 'test');
    const archived = await issuesOf(validateRule(db, ws.id, { condition: { kind: 'tag', op: 'has', tag: old.id } }));
    expect(archived[0]!.path).toBe('rule.condition.tag');

    // a → b → (tag t → a) would close a cycle.
    const a = await createSegment(db, ws.id, { name: 'a', rule: { version: 1, condition: { kind: 'trait', trait: 'x', type: 'string', op: 'exists' } } });
    const b = await createSegment(db, ws.id, { name: 'b', rule: { version: 1, condition: { kind: 'segment', op: 'in', segment: a.id } } });
    const t = await createTag(db, ws.id, { groupId: group.id, name: 't', rule: { version: 1, condition: { kind: 'segment', op: 'in', segment: b.id } } });
    const cyclic = await issuesOf(
      updateSegment(db, ws.id, a.id, { rule: { version: 1, condition: { kind: 'and', conditions: [{ kind: 'trait', trait: 'x', type: 'string', op: 'exists' }, { kind: 'tag', op: 'has', tag: t.id }] } } }),
    );
    expect(cyclic).toEqual([{ path: 'body.rule.condition.conditions[1].tag', message: `cyclic reference: tag ${t.id} depends on this segment` }]);
    const self = await issuesOf(updateSegment(db, ws.id, b.id, { rule: { version: 1, condition: { kind: 'segment', op: 'in', segment: b.id } } }));
    expect(self[0]!.path).toBe('body.rule.condition.segment');
  });
});

describeEachDatabase('rule windows', (ctx) => {
  it('takes a one-day window (its dates are whole days, both included), and refuses one that ends before it starts', async () => {
    const ws = await newTestWorkspace(ctx.database);
    const rule = (from: string, to: string) => ({ version: 1, condition: { kind: 'event', event: 'Order Paid', window: { type: 'between', from, to } } });
    await expect(validateRule(ctx.database.db, ws.id, rule('2026-11-11', '2026-11-11'))).resolves.toBeTruthy();
    const backwards = await issuesOf(validateRule(ctx.database.db, ws.id, rule('2026-11-12', '2026-11-11')));
    expect(backwards[0]).toMatchObject({ path: 'rule.condition.window', message: 'the window must end after it starts' });
    const instants = await issuesOf(validateRule(ctx.database.db, ws.id, rule('2026-11-11T10:00:00Z', '2026-11-11T10:00:00Z')));
    expect(instants[0]!.path).toBe('rule.condition.window');
  });
});
