export interface WaitForOptions {
  /** Poll interval in ms (default 10). */
  intervalMs?: number;
  /** Included in the timeout error, to say what was awaited. */
  description?: string;
}

export class WaitForTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WaitForTimeoutError';
  }
}

/**
 * Polls `condition` until it returns true (or a resolved true), failing after `timeoutMs`.
 * Tests use it instead of sleeping: it returns as soon as the condition holds.
 * The last error thrown by the condition, if any, is the timeout error's cause.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  options: WaitForOptions = {},
): Promise<void> {
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.description ?? 'condition';
      throw new WaitForTimeoutError(
        `waitFor: ${what} not met within ${timeoutMs} ms`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs));
  }
}
