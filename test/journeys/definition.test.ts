import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLUEPRINTS, definitionIssues } from '../../src/modules/journeys/index.js';
import { matchesFilters } from '../../src/modules/journeys/triggers.js';
import { inQuietHours, localParts, nextAllowedSend, nextTimeOfDay } from '../../src/modules/journeys/time.js';

const paths = (input: unknown) => definitionIssues(input).issues.map((i) => i.path);

describe('journey definitions', () => {
  const base = { trigger: { type: 'manual' }, start: 'w', nodes: [{ id: 'w', type: 'wait', duration: { hours: 1 } }] };

  it('accepts a minimal journey and fills the default policies', () => {
    const { definition, issues } = definitionIssues(base);
    expect(issues).toEqual([]);
    expect(definition!.policies).toMatchObject({ reentry: 'after_finish', quietHours: { start: '21:00', end: '09:00' }, frequencyCap: { perChannel: 2 } });
  });

  it('names the node at fault', () => {
    expect(paths({ ...base, nodes: [base.nodes[0], { id: 'x', type: 'wait_for_event', event: 'E' }] })).toContain('definition.nodes[1](x).timeoutHours');
    expect(paths({ ...base, nodes: [...base.nodes, { id: 'w', type: 'exit' }] })).toContain('definition.nodes[1](w)');
    expect(paths({ ...base, edges: [{ from: 'w', to: 'nowhere' }] })).toContain('definition.edges[0].to');
    expect(paths({ ...base, nodes: [...base.nodes, { id: 'lost', type: 'exit' }] })).toContain('definition.nodes[1](lost)');
    const cycle = { ...base, nodes: [...base.nodes, { id: 'v', type: 'wait', duration: { hours: 1 } }], edges: [{ from: 'w', to: 'v' }, { from: 'v', to: 'w' }] };
    expect(definitionIssues(cycle).issues.map((i) => i.message).join()).toContain('cycle');
    const cond = { ...base, start: 'c', nodes: [{ id: 'c', type: 'condition', rule: { condition: { kind: 'trait', trait: 'vip', type: 'boolean', op: 'eq', value: true } } }] };
    expect(definitionIssues(cond).issues.map((i) => `${i.path}: ${i.message}`).join()).toContain('branch "yes"');
    expect(paths({ ...base, trigger: { type: 'schedule', cron: 'every day' } })).toContain('definition.trigger.cron');
  });

  it('ships seven built-in journeys whose shape validates (ids are filled at install)', () => {
    expect(BLUEPRINTS).toHaveLength(7);
    for (const b of BLUEPRINTS) {
      const def = structuredClone(b.definition) as { nodes: Array<Record<string, unknown>> };
      for (const n of def.nodes) if (n.type === 'send') Object.assign(n, { message: undefined, channelId: 'ch', templateId: 'tpl' });
      expect(definitionIssues(def).issues, b.key).toEqual([]);
    }
  });

  it('matches event property filters', () => {
    expect(matchesFilters({ amount: 800 }, [{ property: 'amount', op: 'gt', value: 500 }])).toBe(true);
    expect(matchesFilters({ amount: '800' }, [{ property: 'amount', op: 'gt', value: 500 }])).toBe(true);
    expect(matchesFilters({ amount: 100 }, [{ property: 'amount', op: 'gt', value: 500 }])).toBe(false);
    expect(matchesFilters({}, [{ property: 'amount', op: 'lt', value: 500 }])).toBe(false);
    expect(matchesFilters({ sku: 'A1' }, [{ property: 'sku', op: 'eq', value: 'A1' }, { property: 'sku', op: 'exists' }])).toBe(true);
  });

  it('reads only the event\'s own properties: one named constructor or toString exists only when sent', () => {
    for (const property of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
      expect(matchesFilters({ sku: 'A1' }, [{ property, op: 'exists' }]), property).toBe(false);
      expect(matchesFilters(null, [{ property, op: 'exists' }]), property).toBe(false);
      expect(matchesFilters(JSON.parse(`{"${property}": "x"}`), [{ property, op: 'eq', value: 'x' }]), property).toBe(true);
    }
  });
});

describe('wall-clock time', () => {
  const zones = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Europe/Berlin'];
  const instant = fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true });

  it('a send held by quiet hours goes at the first allowed minute, never inside the window', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), (at, tz) => {
        const allowed = nextAllowedSend(at, '21:00', '09:00', tz);
        expect(allowed.getTime()).toBeGreaterThanOrEqual(at.getTime());
        expect(inQuietHours(allowed, '21:00', '09:00', tz)).toBe(false);
        if (allowed.getTime() !== at.getTime()) {
          expect(inQuietHours(at, '21:00', '09:00', tz)).toBe(true);
          expect(localParts(allowed, tz)).toMatchObject({ hour: 9, minute: 0 });
          expect(allowed.getTime() - at.getTime()).toBeLessThanOrEqual(12 * 3_600_000 + 3_600_000);
        }
      }),
    );
  });

  it('waits until the next time of day on an allowed weekday', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), fc.integer({ min: 0, max: 23 }), fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }), (at, tz, hour, days) => {
        const hhmm = `${String(hour).padStart(2, '0')}:30`;
        const next = nextTimeOfDay(at, hhmm, tz, days);
        const local = localParts(next, tz);
        expect(next.getTime()).toBeGreaterThanOrEqual(at.getTime());
        expect(next.getTime() - at.getTime()).toBeLessThanOrEqual(8 * 86_400_000);
        expect(days).toContain(local.weekday);
        // Skip the rare wall-clock hour that does not exist on a daylight-saving day.
        if (local.hour === hour) expect(local.minute).toBe(30);
      }),
    );
  });
});
