import { describe, expect, it } from 'vitest';
import { TemplateData } from '../../src/modules/templates/schema.js';
import { templateDataOf, type BatchProfile } from '../../src/modules/templates/batch.js';

const person = (traits: unknown): BatchProfile => ({ requestedId: 7, id: 7, traits: traits as Record<string, unknown>, tags: ['vip', 'new'], addresses: {} });

describe('templateDataOf', () => {
  it('builds what the schema would, and goes through the schema when the input does not fit it', () => {
    const cases: Array<[BatchProfile, Parameters<typeof templateDataOf>[1]]> = [
      [person({ name: 'Alice', consent: { email: true } }), undefined],
      [person({}), { name: 'Order Completed', properties: { amount: 800 } }],
      [person({ a: 1 }), { properties: undefined }],
      [person({ a: 1 }), { name: undefined, properties: { nested: { x: [1, 2] } } }],
    ];
    for (const [p, event] of cases) {
      const viaSchema = TemplateData.parse({ profile: { id: p.id, traits: p.traits }, tags: p.tags, event: event ? { name: event.name, properties: event.properties ?? {} } : undefined });
      const built = templateDataOf(p, event);
      expect(built).toEqual(viaSchema);
      expect(built.profile.traits).not.toBe(p.traits); // a copy, as the parse made
    }
    // A name that is not a string fails as the schema fails.
    expect(() => templateDataOf(person({}), { name: 42 as unknown as string, properties: {} })).toThrow();
  });
});
