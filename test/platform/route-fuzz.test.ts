import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { basic, bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { queryValues, resolve, sample, wrongTyped, type OpenApiDoc, type Operation, type Schema } from '../support/openapi-samples.js';

/**
 * Walks every operation in the app's own OpenAPI document and sends it a fixed set of bad inputs: odd path
 * values, wrong or repeated query values, bodies of the wrong shape or type, NUL bytes, edge and oversize
 * numbers, deep nesting, a 2 MB string, malformed JSON and a wrong content type. The product rule: bad input
 * is a 4xx carrying `{ error: { code, message } }`, never a 5xx. Every failure is collected so one run shows all.
 *
 * Skipped: no route. Seeded entities (channel, key, segment, template, tag, coupon template, journey, the member's
 * profile) give real ids, so bodies of the right shape reach the handlers; two kinds of route get an id no entity has
 * (a 404) instead: DELETE (it would remove what later routes use) and /send, /test, /test-send (they call a provider).
 */

const PATH_VALUES = ['0', '-1', '99999999999999999999', 'constructor', '__proto__', '%00', 'a'.repeat(300), 'abc', '1.5', '%E0%A4%A', '%20', '..'];
// Routes that send to or test a provider (SMTP, SMS, WeChat...): fuzzed with id 1 only (a 404), so no call leaves.
const EXTERNAL = /\/(send|test|test-send)$/;
// Accepted bodies for routes whose schema sample is not (patterns, cross-field rules): the base for field edges.
const GOOD_BODIES: Record<string, object> = {
  'POST /api/v1/orders': { orderId: 'fuzz-o', customer: { userId: 'fuzz-member' }, totalAmount: 10, orderedAt: '2026-01-01T00:00:00Z', items: [{ sku: 's', quantity: 1, price: 10 }] },
  'POST /api/v1/loyalty/coupon-templates': { name: 'fuzz', kind: 'fixed', amount: 5 },
};
const TWO_MB = 'x'.repeat(2 * 1024 * 1024);
const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

interface Failure {
  route: string;
  input: string;
  status: number;
  body: string;
}

describeEachDatabase('route fuzz: bad input is a 4xx with an error code, never a 5xx', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('answers every documented route with < 500 and, for 4xx, { error: { code, message } }', async () => {
    const ws = await newWorkspace(ctx.database);
    const bound = await app.inject({ method: 'POST', url: '/api/v1/loyalty/members/bind', headers: bearer(ws.adminToken), payload: { userId: 'fuzz-member' } });
    expect(bound.statusCode).toBe(200);
    const memberToken = (bound.json() as { memberToken: string }).memberToken;
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDoc;
    const real = await seedRealIds(app, doc, ws, bound.json() as never);

    const failures: Failure[] = [];
    let operations = 0;
    let requests = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        operations += 1;
        const route = `${method.toUpperCase()} ${path}`;
        const headers = authFor(op, path, { admin: ws.adminToken, write: ws.writeKey, member: memberToken });
        const send = async (input: string, url: string, extra: Partial<InjectOptions> = {}) => {
          requests += 1;
          const res = await app.inject({ method: method.toUpperCase() as never, url, ...extra, headers: { ...headers, ...(extra.headers ?? {}) } });
          const problem = judge(res.statusCode, res.headers['content-type'], res.body);
          if (problem) failures.push({ route, input, status: res.statusCode, body: `${problem}: ${res.body.slice(0, 300)}` });
        };
        const params = (op.parameters ?? []).filter((p) => p.in === 'path');
        const fill = (value: string) => path.replace(/\{[^}]+\}|\*$/g, () => value);
        // Real ids where we have them (not for DELETE, nor for routes that would call a real external peer).
        // An id no entity has there (1 can be the member's own profile, and a DELETE of it would empty later routes).
        const basePath = method === 'delete' || EXTERNAL.test(path) ? fill('987654321') : realPath(path, real, ws.id);
        const baseQuery = (op.parameters ?? [])
          .filter((p) => p.in === 'query' && p.required)
          .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(String(sample(doc, p.schema, 'plain')))}`);
        const withQuery = (url: string, extra: string[] = []) => ([...baseQuery, ...extra].length ? `${url}?${[...baseQuery, ...extra].join('&')}` : url);

        // Path parameters: raw URL segments (some deliberately not valid percent-encoding).
        if (params.length) for (const v of PATH_VALUES) await send(`path=${v.slice(0, 20)}`, withQuery(fill(v)));

        // Query parameters: each alone with each bad value, then repeated, then prototype names as keys.
        for (const p of (op.parameters ?? []).filter((q) => q.in === 'query')) {
          const others = baseQuery.filter((q) => !q.startsWith(`${encodeURIComponent(p.name)}=`));
          for (const v of queryValues(doc, p.schema)) {
            await send(`query ${p.name}=${JSON.stringify(v.slice(0, 20))}`, `${basePath}?${[...others, `${p.name}=${encodeURIComponent(v)}`].join('&')}`);
          }
          await send(`query ${p.name} repeated`, `${basePath}?${[...others, `${p.name}=1`, `${p.name}=2`].join('&')}`);
        }
        await send('query __proto__ keys', withQuery(basePath, ['__proto__=1', 'constructor=1', '__proto__[x]=1']));

        if (method === 'get' || method === 'delete') continue;
        // Bodies: the generic bad ones for every writing route, then ones derived from the request schema.
        const url = withQuery(basePath);
        const json = (input: string, payload: string) => send(input, url, { payload, headers: { 'content-type': 'application/json' } });
        for (const raw of ['null', '[]', '"x"', '42', '{}', 'true', '{"a":', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
          await json(`body ${raw}`, raw);
        }
        await json('body deep array', deepArray(20_000));
        await json('body deep object', deepObject(20_000));
        await send('body text/plain', url, { payload: 'hello', headers: { 'content-type': 'text/plain' } });
        await send('body wrong content-type xml', url, { payload: '<a/>', headers: { 'content-type': 'application/xml' } });
        const schema = op.requestBody?.content['application/json']?.schema;
        if (!schema) continue;
        await json('body wrong-typed fields', JSON.stringify(wrongTyped(doc, schema)));
        for (const mode of ['plain', 'nul', 'max', 'min', 'deep'] as const) {
          await json(`body ${mode} sample`, JSON.stringify(sample(doc, schema, mode)));
        }
        const top = resolve(doc, schema);
        const props: Record<string, Schema> = top.properties ?? resolve(doc, (top.oneOf ?? top.anyOf)?.[0]).properties ?? {};
        const fields = Object.keys(props).length ? Object.keys(props) : ['name'];
        // One field at a time at its edges, the others plain: an edge is not hidden behind another field's 400.
        const plain = GOOD_BODIES[route] ?? withRealIds(sample(doc, schema, 'plain'), real);
        if (plain && typeof plain === 'object' && !Array.isArray(plain)) {
          for (const [field, fieldSchema] of Object.entries(props)) {
            for (const mode of ['max', 'min'] as const) {
              await json(`body ${field} ${mode}`, JSON.stringify({ ...plain, [field]: sample(doc, fieldSchema, mode) }));
            }
            await json(`body ${field} deep`, JSON.stringify({ ...plain, [field]: '__deep__' }).replace('"__deep__"', deepObject(5_000)));
            // One level down too: the fields of an object field, or of an array field's first item (order lines...).
            const inner = resolve(doc, fieldSchema);
            const item = inner.type === 'array' ? resolve(doc, inner.items) : inner;
            const base = (plain as Record<string, unknown>)[field];
            const baseItem = inner.type === 'array' ? (Array.isArray(base) ? base[0] : undefined) : base;
            if (!item.properties || !baseItem || typeof baseItem !== 'object') continue;
            for (const [sub, subSchema] of Object.entries<Schema>(item.properties)) {
              for (const mode of ['max', 'min'] as const) {
                const changed = { ...(baseItem as object), [sub]: sample(doc, subSchema, mode) };
                await json(`body ${field}.${sub} ${mode}`, JSON.stringify({ ...plain, [field]: inner.type === 'array' ? [changed] : changed }));
              }
            }
          }
        }
        await json('body 2 MB string fields', JSON.stringify(Object.fromEntries(fields.map((f) => [f, TWO_MB]))));
        await json('body deep-nested fields', `{${fields.map((f) => `${JSON.stringify(f)}:${deepObject(5_000)}`).join(',')}}`);
      }
    }
    console.log(`route fuzz [${ctx.kind}]: ${operations} operations, ${requests} requests, ${failures.length} failures`);
    // One line per failure, so a run lists them all (the assertion's diff would truncate).
    if (failures.length) console.log(failures.map((f) => `${f.route} | ${f.input} | ${f.status} | ${f.body}`).join('\n'));
    expect(failures).toEqual([]);
  }, 300_000);
});

/** The path with real values for its parameters where the seed has one, else 1. */
function realPath(path: string, real: Awaited<ReturnType<typeof seedRealIds>>, workspaceId: string): string {
  const byName: Record<string, string | undefined> = {
    profileId: real.profileId,
    memberNo: real.memberNo,
    orderId: real.orderId,
    workspaceId,
    channelId: real.ids['/api/v1/channels'],
    type: 'email',
    id: real.ids[path.slice(0, path.indexOf('/{id}'))],
  };
  return path.replace(/\{([^}]+)\}|\*$/g, (_m, name: string | undefined) => (name && byName[name]) || '1');
}

/** The credentials an operation asks for: admin token, write key (ingest), member token (member API), or none. */
function authFor(op: Operation, path: string, keys: { admin: string; write: string; member: string }): Record<string, string> {
  const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
  if (schemes.includes('adminToken')) return bearer(keys.admin);
  if (schemes.includes('writeKeyBasic')) return basic(keys.write);
  if (path.startsWith('/api/v1/member/')) return bearer(keys.member);
  return {};
}

/** Why an answer breaks the rule, or undefined if it keeps it. */
function judge(status: number, contentType: unknown, body: string): string | undefined {
  if (status >= 500) return '5xx';
  if (status < 400) return undefined;
  if (!String(contentType ?? '').includes('application/json')) return `4xx not JSON (${String(contentType)})`;
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string') return '4xx without error.code/message';
  } catch {
    return '4xx body not JSON';
  }
  return undefined;
}

/**
 * Real ids, so bodies of the right shape reach handlers past their 404: for each collection with an {id} route,
 * one entity created from the plain sample of its POST body where that is accepted, and by hand where not.
 */
async function seedRealIds(app: FastifyInstance, doc: OpenApiDoc, ws: { adminToken: string; writeKey: string }, bound: { member: { profileId: number; memberNo: string } }) {
  const adminToken = ws.adminToken;
  // The member has an event and an order: a timeline with rows evaluates its cursor condition (none, it is never read).
  await app.inject({ method: 'POST', url: '/v1/track', headers: basic(ws.writeKey), payload: { userId: 'fuzz-member', event: 'Fuzzed', messageId: 'fuzz-1' } });
  const post = async (url: string, payload: unknown) => {
    const res = await app.inject({ method: 'POST', url, headers: bearer(adminToken), payload: payload as never });
    const id = res.statusCode < 300 ? (res.json() as { id?: unknown }).id : undefined;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  };
  const ids: Record<string, string> = { '/api/v1/profiles': String(bound.member.profileId) };
  for (const [path, ops] of Object.entries(doc.paths)) {
    const schema = ops.post?.requestBody?.content['application/json']?.schema;
    if (!schema || !doc.paths[`${path}/{id}`]) continue;
    const id = await post(path, sample(doc, schema, 'plain'));
    if (id) ids[path] = id;
  }
  const group = await post('/api/v1/tag-groups', { name: 'fuzz', category: 'custom' });
  const tag = await post('/api/v1/tags', { ...(sample(doc, doc.paths['/api/v1/tags']!.post!.requestBody!.content['application/json']!.schema, 'plain') as object), groupId: group });
  if (tag) ids['/api/v1/tags'] = tag;
  const coupon = await post('/api/v1/loyalty/coupon-templates', { name: 'fuzz', kind: 'fixed', amount: 5 });
  if (coupon) ids['/api/v1/loyalty/coupon-templates'] = coupon;
  const templates = (await app.inject({ method: 'GET', url: '/api/v1/journey-templates', headers: bearer(adminToken) })).json() as { data: { key: string }[] };
  const journey = await post(`/api/v1/journey-templates/${templates.data[0]!.key}/install`, { channelId: ids['/api/v1/channels'] });
  if (journey) ids['/api/v1/journeys'] = journey;
  const orderId = 'fuzz-order-1';
  await post('/api/v1/orders', { ...(sample(doc, doc.paths['/api/v1/orders']!.post!.requestBody!.content['application/json']!.schema, 'plain') as object), orderId });
  return { ids, orderId, group, profileId: String(bound.member.profileId), memberNo: bound.member.memberNo };
}

/** Ids in a sample body that name other entities point at real ones, so the body gets past their lookups. */
function withRealIds(body: unknown, real: Awaited<ReturnType<typeof seedRealIds>>): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const known: Record<string, unknown> = {
    profileId: Number(real.profileId),
    segmentId: real.ids['/api/v1/segments'],
    channelId: real.ids['/api/v1/channels'],
    templateId: real.ids['/api/v1/loyalty/coupon-templates'],
    couponTemplateId: real.ids['/api/v1/loyalty/coupon-templates'],
    groupId: real.group,
  };
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, known[k] ?? v]));
}
