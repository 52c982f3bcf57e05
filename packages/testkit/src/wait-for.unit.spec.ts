import { describe, expect, it } from 'vitest';
import { waitFor, WaitForTimeoutError } from './wait-for.ts';

describe('waitFor', () => {
  it('resolves as soon as the condition holds', async () => {
    let calls = 0;
    await waitFor(() => ++calls >= 3, 1_000, { intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('accepts async conditions', async () => {
    let calls = 0;
    await waitFor(async () => ++calls >= 2, 1_000, { intervalMs: 1 });
    expect(calls).toBe(2);
  });

  it('fails with a named error after the timeout, carrying the last thrown error as cause', async () => {
    const failure = waitFor(
      () => {
        throw new Error('not yet');
      },
      30,
      { intervalMs: 5, description: 'the impossible' },
    );
    await expect(failure).rejects.toBeInstanceOf(WaitForTimeoutError);
    await expect(failure).rejects.toThrow('waitFor: the impossible not met within 30 ms');
    await expect(failure).rejects.toMatchObject({ cause: new Error('not yet') });
  });
});
