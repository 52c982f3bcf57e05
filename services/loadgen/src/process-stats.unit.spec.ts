import { describe, expect, it } from 'vitest';
import { ProcessSampler, readProcessSample } from './process-stats.ts';

describe.runIf(process.platform === 'linux')('process stats', () => {
  it('reads RSS and CPU time of a live process', () => {
    const sample = readProcessSample(process.pid);
    expect(sample?.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(sample?.cpuSeconds).toBeGreaterThan(0);
  });

  it('skips a process that is gone', () => {
    expect(readProcessSample(2 ** 30)).toBeUndefined();
    const sampler = new ProcessSampler(() => [{ id: 'self', pid: process.pid }, { id: 'gone', pid: 2 ** 30 }]);
    sampler.start();
    const usage = sampler.stop();
    expect(Object.keys(usage)).toEqual(['self']);
    expect(usage.self?.samples).toBe(2);
    expect(usage.self?.maxRssBytes).toBeGreaterThan(0);
  });
});
