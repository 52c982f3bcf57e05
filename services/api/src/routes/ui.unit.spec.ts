import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../test-harness.ts';

describe('dashboard routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves the page at /ui and /ui/ as HTML that loads its script and stylesheet', async () => {
    for (const url of ['/ui', '/ui/', '/ui/index.html']) {
      const response = await h.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('<script type="module" src="/ui/app.js">');
      expect(response.body).toContain('href="/ui/style.css"');
    }
  });

  it('serves app.js and style.css with their content types', async () => {
    const js = await h.app.inject({ method: 'GET', url: '/ui/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('EventSource');
    const css = await h.app.inject({ method: 'GET', url: '/ui/style.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers any other name with a NotFound status, never a file from disk', async () => {
    for (const url of ['/ui/ui.ts', '/ui/..%2Froutes%2Fui.ts', '/ui/%2e%2e%2fserver.ts']) {
      const response = await h.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(JSON.parse(response.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    }
  });
});
