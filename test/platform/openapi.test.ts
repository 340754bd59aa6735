import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { buildTestServer } from '../support/app.js';

/** Every $ref in the document must resolve inside it, so code generators and viewers can use it. */
function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

describeEachDatabase('OpenAPI document', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('documents every module and has no dangling references', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    for (const path of ['/v1/batch', '/v1/track', '/api/v1/profiles/lookup', '/api/v1/profiles/{id}/events', '/api/v1/orders', '/api/v1/orders/{orderId}/refunds', '/api/v1/stats/overview']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const refs = collectRefs(doc);
    for (const ref of refs) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
  });
});
