import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * The process runtime's end-to-end tests need root and iproute2: a network namespace per pod is the
 * point of them. Where either is missing they fail here, loudly, instead of skipping.
 */
export function requireRootAndIp(): void {
  const problems: string[] = [];
  if (process.platform !== 'linux') problems.push(`this is ${process.platform}, not Linux`);
  if (process.getuid?.() !== 0) problems.push(`not running as root (uid ${process.getuid?.()})`);
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'pipe' });
  } catch (error) {
    problems.push(`\`ip netns list\` failed: ${(error as Error).message}`);
  }
  if (problems.length > 0) {
    throw new Error(`the process runtime's end-to-end tests need Linux, root and iproute2 (apt-get install iproute2): ${problems.join('; ')}`);
  }
}

/** The manifests of a file under examples/. */
export function example(file: string): Array<Record<string, unknown>> {
  const text = readFileSync(resolve(import.meta.dirname, '../../../examples', file), 'utf8');
  return parseAllDocuments(text).map((doc) => doc.toJSON() as Record<string, unknown>);
}

/** `ip netns list` names. */
export function netnsNames(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

/** PIDs whose command line contains `marker` (not counting this search). */
export function pidsMatching(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** GET over plain HTTP with a deadline: the pod's address is only reachable from this host. */
export async function httpGetText(url: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}
