import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath, UNDOCUMENTED } from './openapi.ts';
import { nodeManifest, podManifest, replicaSetManifest, startHarness, type Harness } from './test-harness.ts';

type Json = Record<string, unknown>;
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}

/** Walks `printRoutes({ commonPrefix: false })`: a tree of path segments, each with its methods. */
function routesFromPrintout(printout: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of printout.split('\n')) {
    const match = /^([│ ├└─]*)(\/\S*) \(([A-Z, ]+)\)$/.exec(line.trimEnd());
    if (!match) continue;
    const depth = match[1]!.length / 4 - 1;
    stack.length = depth;
    stack.push(match[2]!);
    for (const method of match[3]!.split(', ')) out.push({ method, path: stack.join('') });
  }
  return out;
}

/** Inlines `#/components/schemas/X` references, so a plain JSON Schema validator can use one schema. */
function dereference(schema: unknown, components: Record<string, Json>, depth = 0): unknown {
  if (depth > 40) throw new Error('reference cycle');
  if (Array.isArray(schema)) return schema.map((item) => dereference(item, components, depth + 1));
  if (typeof schema !== 'object' || schema === null) return schema;
  const ref = (schema as Json).$ref;
  if (typeof ref === 'string') return dereference(components[ref.replace('#/components/schemas/', '')], components, depth + 1);
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, dereference(value, components, depth + 1)]));
}

/** A Fastify (ajv 8) validator for one schema of the document: an independent check of what it accepts. */
async function validatorFor(schema: unknown) {
  const app = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false } } });
  app.post('/check', { schema: { body: schema as Json } }, async () => ({ ok: true }));
  await app.ready();
  return {
    accepts: async (body: unknown) => (await app.inject({ method: 'POST', url: '/check', payload: body as Json })).statusCode === 200,
    close: () => app.close(),
  };
}

describe('OpenAPI', () => {
  let h: Harness;
  let doc: Document;

  beforeAll(async () => {
    h = await startHarness();
    const response = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    doc = JSON.parse(response.body) as Document;
  });
  afterAll(async () => {
    await h.close();
  });

  it('is an OpenAPI 3.x document', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
  });

  it('describes every route the server registers, and nothing else', () => {
    const registered = routesFromPrintout(h.app.printRoutes({ commonPrefix: false })).filter((r) => r.method !== 'HEAD');
    // Sanity of the walk itself: a few routes known to exist.
    expect(registered).toEqual(expect.arrayContaining([
      { method: 'GET', path: '/api/v1/namespaces/:ns/pods/:name/log' },
      { method: 'PUT', path: '/apis/apps/v1/namespaces/:ns/replicasets/:name/scale' },
      { method: 'GET', path: '/docs/json' },
    ]));
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(registered.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
    const undocumented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => op.summary === UNDOCUMENTED).map(([m]) => `${m} ${path}`));
    expect(undocumented, 'routes registered but not described in OPERATIONS (openapi.ts)').toEqual([]);
  });

  it('gives each operation its path parameters, query parameters and an error response', () => {
    const get = doc.paths['/api/v1/namespaces/{ns}/pods/{name}']!.get!;
    expect((get.parameters as Json[]).map((p) => [p.name, p.in])).toEqual([
      ['ns', 'path'],
      ['name', 'path'],
      ['at', 'query'],
    ]);
    expect((get.responses as Json).default).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } });
    const list = doc.paths['/api/v1/pods']!.get!;
    expect((list.parameters as Json[]).map((p) => p.name)).toEqual(expect.arrayContaining(['labelSelector', 'fieldSelector', 'watch', 'resourceVersion']));
    expect(Object.keys(((list.responses as Json)['200'] as { content: Json }).content)).toEqual(['application/json', 'text/event-stream']);
    const create = doc.paths['/api/v1/namespaces/{ns}/pods']!.post!;
    expect(create.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Pod' } }, 'application/yaml': {} } });
    expect(Object.keys(create.responses as Json)).toContain('201');
  });

  it('resolves every $ref to a schema of the document', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(([, name]) => name!);
    expect(refs.length).toBeGreaterThan(10);
    for (const name of new Set(refs)) expect(doc.components.schemas, name).toHaveProperty([name]);
  });

  it("has the model's Pod schema: it names the required fields, accepts a sample pod and rejects a broken one", async () => {
    const pod = doc.components.schemas.Pod!;
    expect(pod.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec']));
    expect(pod.required).not.toContain('status');
    const spec = doc.components.schemas.PodSpec!;
    expect(spec.required).toContain('containers');
    const validator = await validatorFor(dereference(pod, doc.components.schemas));
    try {
      expect(await validator.accepts(podManifest('web-1', { nodeSelector: { disk: 'ssd' } }))).toBe(true);
      expect(await validator.accepts({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toBe(false);
      expect(await validator.accepts({ ...podManifest('x'), kind: 'Node' })).toBe(false);
      expect(await validator.accepts({ ...podManifest('x'), spec: { containers: 'nginx' } })).toBe(false);
      // Strict like the zod schema: an unknown top-level field is refused.
      expect(await validator.accepts({ ...podManifest('x'), extra: true })).toBe(false);
    } finally {
      await validator.close();
    }
  });

  it('has Node and ReplicaSet schemas that accept the manifests the API takes', async () => {
    for (const [name, manifest] of [
      ['Node', nodeManifest('n1')],
      ['ReplicaSet', replicaSetManifest('web', 3)],
    ] as const) {
      const validator = await validatorFor(dereference(doc.components.schemas[name], doc.components.schemas));
      try {
        expect(await validator.accepts(manifest), name).toBe(true);
        expect(await validator.accepts({ ...manifest, kind: 'Other' }), name).toBe(false);
      } finally {
        await validator.close();
      }
    }
  });

  it('serves a self-contained page at /docs that loads the document', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain("fetch('/docs/json')");
    // No CDN: nothing is loaded from another origin.
    expect(response.body).not.toMatch(/(src|href)="https?:/);
    // The inline script at least parses (a template-literal escape slip would break it).
    const script = /<script>([\s\S]*)<\/script>/.exec(response.body)?.[1] ?? '';
    expect(() => new Function(script)).not.toThrow();
  });
});
