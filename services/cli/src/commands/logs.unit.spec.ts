// `flotilla logs` over an in-memory API (fake-api plus a scripted log route): what it prints and returns.
import { describe, expect, it } from 'vitest';
import type { Pod } from '@flotilla/model';
import { fakeApi } from '../fake-api.ts';
import { buildProgram } from '../program.ts';
import { NOW, creatingPod, runningPod, sidecarPod } from '../render/test-fixtures.ts';
import type { Io } from './context.ts';
import { checkUsage, defaultContainer } from './logs.ts';

type LogAnswer = { code: number; chunks?: string[]; status?: { reason: string; message: string }; breakOff?: boolean };

/** fake-api for pods, plus GET .../log answered by `logs` (text, a Status, or a stream that breaks). */
function apiWithLogs(pods: Pod[], logs: (url: URL) => LogAnswer) {
  const api = fakeApi(NOW, { pods });
  const requests: string[] = [];
  const fetchWithLogs = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    requests.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
    if (!url.pathname.endsWith('/log')) return api.fetch(input, init);
    const answer = logs(url);
    if (answer.status) {
      const body = { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', code: answer.code, ...answer.status };
      return new Response(JSON.stringify(body), { status: answer.code, headers: { 'content-type': 'application/json' } });
    }
    const chunks = [...(answer.chunks ?? [])];
    // One chunk per read, so that a break-off comes after what was sent before it.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk !== undefined) controller.enqueue(new TextEncoder().encode(chunk));
        else if (answer.breakOff) controller.error(new Error('socket hang up'));
        else controller.close();
      },
    });
    return new Response(body, { status: answer.code, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  };
  return { fetch: fetchWithLogs as typeof fetch, requests };
}

async function cli(args: string[], fetchImpl: typeof fetch): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t) };
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (code) => (pending = code), { fetch: fetchImpl, now: () => NOW, localTime: false, exitOverride: true, env: {} });
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
    code = pending ? await pending : 0;
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out, err };
}

const text = (chunks: string[]) => () => ({ code: 200, chunks });

describe('flotilla logs', () => {
  it("prints the only container's log as it streams", async () => {
    const api = apiWithLogs([runningPod], text(['GET / 200\n', 'GET /healthz 200\n']));
    const run = await cli(['logs', 'web'], api.fetch);
    expect(run).toEqual({ code: 0, out: 'GET / 200\nGET /healthz 200\n', err: '' });
    expect(api.requests).toEqual(['GET /api/v1/namespaces/default/pods/web', 'GET /api/v1/namespaces/default/pods/web/log?container=nginx']);
  });

  it('sends -c, -f, --tail, -p, --timestamps, --limit-bytes and --since as the API query, without reading the pod', async () => {
    const api = apiWithLogs([runningPod], text(['x\n']));
    const run = await cli(['logs', 'pod/web', '-c', 'nginx', '-f', '--tail', '20', '-p', '--timestamps', '--limit-bytes', '500', '--since', '90s', '-n', 'default'], api.fetch);
    expect(run.code).toBe(0);
    expect(api.requests).toEqual([
      'GET /api/v1/namespaces/default/pods/web/log?container=nginx&follow=true&previous=true&timestamps=true&tailLines=20&limitBytes=500&sinceSeconds=90',
    ]);
    const all = await cli(['logs', 'web', 'nginx', '--tail=-1', '--since-time', '2024-05-01T11:00:00Z'], api.fetch);
    expect(all.code).toBe(0);
    expect(api.requests.at(-1)).toBe('GET /api/v1/namespaces/default/pods/web/log?container=nginx&sinceTime=2024-05-01T11%3A00%3A00Z');
  });

  it('defaults to the first container and says so when there was a choice, or to the annotated one', async () => {
    const api = apiWithLogs([creatingPod, sidecarPod], text(['ok\n']));
    const two = await cli(['logs', 'starting'], api.fetch);
    expect(two).toEqual({ code: 0, out: 'ok\n', err: 'Defaulted container "a" out of: a, b\n' });
    const withInit = await cli(['logs', 'with-sidecar'], api.fetch);
    expect(withInit.err).toBe('Defaulted container "app" out of: app, log-shipper (init)\n');

    const annotated: Pod = { ...creatingPod, metadata: { ...creatingPod.metadata, annotations: { 'kubectl.kubernetes.io/default-container': 'b' } } };
    expect(defaultContainer(annotated, () => expect.fail('no notice expected'))).toBe('b');
  });

  it("prints the server's refusal as kubectl does and exits 1", async () => {
    const api = apiWithLogs([creatingPod], () => ({
      code: 400,
      status: { reason: 'BadRequest', message: 'container "a" in pod "starting" is waiting to start: ContainerCreating' },
    }));
    const run = await cli(['logs', 'starting', '-c', 'a'], api.fetch);
    expect(run).toEqual({ code: 1, out: '', err: 'Error from server (BadRequest): container "a" in pod "starting" is waiting to start: ContainerCreating\n' });
    const missing = await cli(['logs', 'ghost'], api.fetch);
    expect(missing).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): pods "ghost" not found\n' });
  });

  it('says when the stream broke off, after printing what arrived', async () => {
    const api = apiWithLogs([runningPod], () => ({ code: 200, chunks: ['one\n'], breakOff: true }));
    const run = await cli(['logs', 'web', '-f'], api.fetch);
    expect(run.code).toBe(1);
    expect(run.out).toBe('one\n');
    expect(run.err).toMatch(/^error: the stream from the Flotilla API at http:\/\/127\.0\.0\.1:7070 for GET \/api\/v1\/namespaces\/default\/pods\/web\/log broke off before its end: socket hang up\./);
  });

  it('refuses bad usage with kubectl messages', async () => {
    const api = apiWithLogs([runningPod], text([]));
    expect(await cli(['logs', 'web', 'a', '-c', 'b'], api.fetch)).toEqual({ code: 1, out: '', err: 'error: only one of -c or an inline [CONTAINER] arg is allowed\n' });
    expect((await cli(['logs', 'web', '--tail', '-2'], api.fetch)).err).toBe('error: --tail must be greater than or equal to -1\n');
    expect((await cli(['logs', 'node/node-1'], api.fetch)).err).toBe('error: logs can only be read from pods, not "node"\n');
    expect(checkUsage(['web'], { since: 5000, sinceTime: '2024-05-01T00:00:00Z' })).toBe('at most one of `sinceTime` or `sinceSeconds` may be specified');
    expect(checkUsage(['web'], { limitBytes: 0 })).toBe('--limit-bytes must be greater than 0');
    expect(checkUsage(['po/web', 'c'], {})).toEqual({ pod: 'web', container: 'c' });
    expect((await cli(['logs'], api.fetch)).code).toBe(1);
    expect(api.requests).toEqual([]);
  });
});
