import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from '@flotilla/testkit';
import { FAST_SIM, podManifest, startTestCluster, type TestCluster } from './support/test-cluster.ts';

// Debian's chromium, driven by playwright-core (no browser download). FLOTILLA_CHROMIUM overrides the path.
const CHROMIUM = process.env.FLOTILLA_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** Every browser-side wait is bounded by this, so a broken page fails the test instead of hanging it. */
const UI_TIMEOUT_MS = 20_000;

describe('web dashboard', () => {
  let t: TestCluster | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`the dashboard test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set FLOTILLA_CHROMIUM to its path)`);
    }
    t = await startTestCluster({ nodes: 2, nodeAgentArgs: [...FAST_SIM, '--cpu', '2', '--memory', '4Gi'] });
    await waitFor(async () => (await t!.api.nodes()).length === 2, 20_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('shows nodes and pods live, the pending panel, and a pod page', async () => {
    const api = t!.api;
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.goto(`${api.baseUrl}/ui`);
    await page.locator('[data-node="node-1"][data-ready="true"]').waitFor();
    await page.locator('[data-node="node-2"][data-ready="true"]').waitFor();
    await page.locator('#conn[data-state="live"]').waitFor();
    // Set after the first load: still there at the end means the page never reloaded.
    await page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));

    const created = await api.createPod(podManifest('web', { containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '500m', memory: '256Mi' } } }] }));
    expect(created.status).toBe(201);
    const running = await api.waitForPod('web', (p) => p.status?.phase === 'Running');
    const nodeName = running.spec.nodeName!;
    // The square appears inside the card of the node the pod was bound to, coloured Running.
    const square = page.locator(`[data-node="${nodeName}"] [data-pod="default/web"]`);
    await page.locator(`[data-node="${nodeName}"] [data-pod="default/web"][data-phase="Running"]`).waitFor();
    expect(await square.getAttribute('title')).toContain('default/web');
    await expect.poll(() => page.locator(`[data-node="${nodeName}"] [data-resource="cpu"]`).textContent(), { timeout: UI_TIMEOUT_MS }).toBe('cpu 500m / 2');

    // A pod no node can take waits in the pending panel with the scheduler's reason.
    expect((await api.createPod(podManifest('huge', { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '64' } } }] }))).status).toBe(201);
    const pendingRow = page.locator('[data-pending-pod="default/huge"] .reason');
    await expect.poll(() => pendingRow.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('0/2 nodes are available: 2 Insufficient cpu.');
    expect(await page.locator('[data-pod="default/huge"]').count()).toBe(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });

    // Time travel: the slider at a sequence before web's PodCreated shows the cluster without it.
    const timeline = page.locator('#timeline');
    expect(await timeline.getAttribute('data-mode')).toBe('live');
    const { status, body: history } = await api.request<{ items: { seq: number; type: string }[] }>('GET', '/api/v1/namespaces/default/pods/web/history');
    expect(status).toBe(200);
    expect(history.items[0]?.type).toBe('PodCreated');
    const before = history.items[0]!.seq - 1;
    // The slider follows the live sequence, which is past web's creation by now.
    await expect.poll(async () => Number(await page.locator('#timeline input[type=range]').inputValue()), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(before);
    // fill() on a range input sets its value and fires `input`, as a drag would.
    await page.locator('#timeline input[type=range]').fill(String(before));
    await page.locator(`#timeline[data-mode="history"] [data-at-seq="${before}"]`).waitFor();
    expect(await page.locator('[data-pod="default/web"]').count()).toBe(0);
    expect(await page.locator('[data-pending-pod="default/huge"]').count()).toBe(0);
    await page.locator('[data-node="node-1"]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-history.png`, fullPage: true });
    // Back to live: the square is there again at once, still Running.
    await page.locator('#timeline-live').click();
    await page.locator('#timeline[data-mode="live"]').waitFor();
    await page.locator(`[data-node="${nodeName}"] [data-pod="default/web"][data-phase="Running"]`).waitFor();
    await page.locator('[data-pending-pod="default/huge"]').waitFor();

    await square.click();
    expect(new URL(page.url()).hash).toBe('#/pod/default/web');
    await page.locator('#pod-page[data-phase="Running"]').waitFor();
    await page.locator('#pod-containers [data-container="web"][data-state="Running"]').waitFor();
    await page.locator('#pod-events [data-event-reason="Scheduled"]').waitFor();
    expect(await page.locator('#pod-events [data-event-reason="Scheduled"]').first().textContent()).toContain(`Successfully assigned default/web to ${nodeName}`);
    await page.locator(`#scheduling-table [data-verdict-node="${nodeName}"]`).waitFor();

    // The log button fills a <pre> with the container's log (or the API's reason it has none).
    await page.locator('#pod-containers [data-container="web"] button').click();
    await expect.poll(() => page.locator('#pod-log').textContent(), { timeout: UI_TIMEOUT_MS }).not.toBe('loading…');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-pod.png`, fullPage: true });

    expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    expect(errors).toEqual([]);
  });
});
