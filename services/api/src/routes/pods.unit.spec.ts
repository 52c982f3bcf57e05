import { afterEach, describe, expect, it } from 'vitest';
import { podManifest, startHarness, type Harness } from '../test-harness.ts';

const PODS = '/api/v1/namespaces/default/pods';

describe('pod create: DefaultTolerationSeconds admission', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('adds the not-ready and unreachable NoExecute tolerations for 300 s to a pod lacking them', async () => {
    h = await startHarness();
    const pod = (await h.app.inject({ method: 'POST', url: PODS, payload: podManifest('web') })).json();
    expect(pod.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it("keeps a pod's own toleration and takes the seconds from the API's flags", async () => {
    h = await startHarness({ defaultNotReadyTolerationSeconds: 7, defaultUnreachableTolerationSeconds: 5 });
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3600 };
    const kept = (await h.app.inject({ method: 'POST', url: PODS, payload: podManifest('patient', { tolerations: [own] }) })).json();
    expect(kept.spec.tolerations).toEqual([own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 7 }]);
    const plain = (await h.app.inject({ method: 'POST', url: PODS, payload: podManifest('plain') })).json();
    expect(plain.spec.tolerations.map((t: { tolerationSeconds: number }) => t.tolerationSeconds)).toEqual([7, 5]);
  });
});
