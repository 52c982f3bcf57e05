// `flotilla history`, `get --at` and `diff` against the real API (in-memory log, a real HTTP port),
// over a log written with fixed times and uids so that the output is golden.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import {
  containerReadinessChanged,
  containerStarted,
  nodeRegistered,
  nodeUpdated,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podSandboxReady,
  podSandboxRemoved,
  replicaSetCreated,
  replicaSetScaled,
} from '@flotilla/state/testing';
import { startHarness, type Harness } from '../../../api/src/test-harness.ts';
import { cli } from '../cli-harness.ts';

const FIRST = 'aaaaaaaa-1111-4111-8111-111111111111';
const SECOND = 'bbbbbbbb-2222-4222-8222-222222222222';
const first = { namespace: 'default', name: 'web', uid: FIRST, nodeName: 'node-1' };

// [event, writer]; event n is written at 11:59:00 + n seconds, so it is sequence n.
const LOG: Array<[DomainEvent, string]> = [
  [nodeRegistered({ name: 'node-1' }), 'node-agent/node-1'],
  [podCreated({ name: 'web', uid: FIRST }), 'api'],
  [podBound({ ...first, attempt: 1 }), 'scheduler'],
  [podSandboxReady({ ...first, podIP: '10.244.1.2' }), 'node-agent/node-1'],
  [containerStarted({ ...first, container: 'app' }), 'node-agent/node-1'],
  [containerReadinessChanged({ ...first, container: 'app', ready: true }), 'node-agent/node-1'],
  [podDeletionRequested({ ...first, gracePeriodSeconds: 30 }), 'api'],
  [podSandboxRemoved(first), 'node-agent/node-1'],
  [podDeleted(first), 'node-agent/node-1'],
  [podCreated({ name: 'web', uid: SECOND }), 'api'],
  [podCreated({ name: 'db', uid: 'cccccccc-3333-4333-8333-333333333333' }), 'api'],
  [nodeUpdated({ name: 'node-1', unschedulable: true }), 'api'],
  [replicaSetCreated({ name: 'hello', replicas: 2 }), 'api'],
  [replicaSetScaled({ name: 'hello', replicas: 5 }), 'api'],
];
const timeOf = (seq: number) => new Date(Date.parse('2024-05-01T11:59:00Z') + seq * 1000).toISOString();

describe('time travel from the CLI', () => {
  let h: Harness;
  let server = '';

  beforeAll(async () => {
    h = await startHarness();
    for (const [i, [event, source]] of LOG.entries()) {
      const { seq } = await h.log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source, time: timeOf(i + 1) }) });
      await h.projection.waitFor(seq, 1000);
    }
    server = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await h.close();
  });

  const run = (...args: string[]) => cli(['--server', server, ...args], { fetch: globalThis.fetch });

  it('history pod: every event of both pods named web, told apart by UID', async () => {
    expect(await run('history', 'pod', 'web')).toEqual({
      code: 0,
      err: '',
      out: [
        'SEQ   TIME                       UID        TYPE                        SOURCE              SUMMARY',
        '2     2024-05-01T11:59:02.000Z   aaaaaaaa   PodCreated                  api                 created',
        '3     2024-05-01T11:59:03.000Z   aaaaaaaa   PodBound                    scheduler           bound to node-1 (attempt 1)',
        '4     2024-05-01T11:59:04.000Z   aaaaaaaa   PodSandboxReady             node-agent/node-1   sandbox ready on node-1, IP 10.244.1.2',
        '5     2024-05-01T11:59:05.000Z   aaaaaaaa   ContainerStarted            node-agent/node-1   container app started',
        '6     2024-05-01T11:59:06.000Z   aaaaaaaa   ContainerReadinessChanged   node-agent/node-1   container app ready',
        '7     2024-05-01T11:59:07.000Z   aaaaaaaa   PodDeletionRequested        api                 deletion requested, grace 30s',
        '8     2024-05-01T11:59:08.000Z   aaaaaaaa   PodSandboxRemoved           node-agent/node-1   sandbox removed from node-1',
        '9     2024-05-01T11:59:09.000Z   aaaaaaaa   PodDeleted                  node-agent/node-1   deleted',
        '10    2024-05-01T11:59:10.000Z   bbbbbbbb   PodCreated                  api                 created',
        '',
      ].join('\n'),
    });
  });

  it('history node, pod/NAME form, and -o json', async () => {
    expect((await run('history', 'no', 'node-1')).out).toBe(
      [
        'SEQ   TIME                       TYPE             SOURCE              SUMMARY',
        '1     2024-05-01T11:59:01.000Z   NodeRegistered   node-agent/node-1   registered (cpu 4, memory 8Gi)',
        '12    2024-05-01T11:59:12.000Z   NodeUpdated      api                 cordoned',
        '',
      ].join('\n'),
    );
    const db = await run('history', 'pod/db', '-o', 'json');
    expect(db.code).toBe(0);
    expect(JSON.parse(db.out)).toMatchObject({ kind: 'History', object: { kind: 'Pod', namespace: 'default', name: 'db' }, items: [{ seq: 11, type: 'PodCreated', source: 'api' }] });
  });

  it('history rs and get rs --at', async () => {
    expect((await run('history', 'rs', 'hello')).out).toBe(
      [
        'SEQ   TIME                       TYPE                SOURCE   SUMMARY',
        '13    2024-05-01T11:59:13.000Z   ReplicaSetCreated   api      created, replicas 2',
        '14    2024-05-01T11:59:14.000Z   ReplicaSetScaled    api      scaled to 5 (generation 2)',
        '',
      ].join('\n'),
    );
    expect(await run('get', 'rs', '--at', '12')).toEqual({ code: 0, out: '', err: 'No resources found in default namespace.\n' });
    expect(JSON.parse((await run('get', 'rs', '--at', '13', '-o', 'json')).out)).toMatchObject({ items: [{ spec: { replicas: 2 } }] });
    expect(JSON.parse((await run('get', 'rs', 'hello', '--at', '14', '-o', 'json')).out)).toMatchObject({ spec: { replicas: 5 } });
    expect((await run('diff', '--from', '13', '--to', '14')).out).toBe(
      ['From resourceVersion 13 to 14:', 'KIND              NAMESPACE   NAME    CHANGE    DETAILS', 'replicaset.apps   default     hello   changed   replicas: 2 -> 5', ''].join('\n'),
    );
  });

  it('history of a pod the log never saw: exit 1 with the API message', async () => {
    expect(await run('history', 'pod', 'ghost')).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): pods "ghost" not found\n' });
    expect(await run('history', 'pod', 'web', '-n', 'other')).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): pods "web" not found\n' });
    expect(await run('history', 'events', 'x')).toMatchObject({ code: 1, err: 'error: expected TYPE NAME (TYPE: pod, node or rs), e.g. flotilla history pod web\n' });
  });

  it('get --at SEQ and --at TIME show the pods as they were', async () => {
    const running = await run('get', 'pods', '--at', '6', '-o', 'wide');
    expect(running.code).toBe(0);
    expect(running.out.split('\n')[1]).toMatch(/^web\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.1\.2\s+node-1\s/);
    expect(running.out.split('\n')).toHaveLength(3);
    // 11:59:03.5 is after the binding (seq 3) and before the sandbox (seq 4).
    const bound = await run('get', 'pod', 'web', '--at', '2024-05-01T11:59:03.500Z', '-o', 'json');
    expect(JSON.parse(bound.out)).toMatchObject({ metadata: { uid: FIRST }, spec: { nodeName: 'node-1' }, status: { phase: 'Pending' } });
    const now = await run('get', 'pods', '-o', 'name');
    expect(now.out).toBe('pod/db\npod/web\n');
    expect((await run('get', 'nodes', '--at', '11', '-o', 'json')).out).not.toContain('"unschedulable": true');
    expect((await run('get', 'nodes', '--at', '12', '-o', 'json')).out).toContain('"unschedulable": true');
    expect(await run('get', 'pods', '--at', '1')).toEqual({ code: 0, out: '', err: 'No resources found in default namespace.\n' });
  });

  it('get --at refuses a bad point with the API message, and --at with --watch or events', async () => {
    expect(await run('get', 'pods', '--at', 'last-tuesday')).toEqual({
      code: 1,
      out: '',
      err: 'Error from server (BadRequest): at: invalid value "last-tuesday": expected a sequence number (resourceVersion) or an RFC 3339 time such as 2024-05-01T12:00:00Z\n',
    });
    expect(await run('get', 'pods', '--at', '99')).toEqual({ code: 1, out: '', err: 'Error from server (BadRequest): at: sequence 99 is beyond the end of the log (last sequence 14)\n' });
    expect(await run('get', 'pods', '--at', '3', '-w')).toEqual({ code: 1, out: '', err: 'error: --at shows the past and --watch follows the present: use one of them\n' });
    expect((await run('get', 'events', '--at', '3')).code).toBe(1);
  });

  it('diff --from --to lists what was added, removed and changed', async () => {
    expect(await run('diff', '--from', '2', '--to', '12')).toEqual({
      code: 0,
      err: '',
      out: [
        'From resourceVersion 2 to 12:',
        'KIND   NAMESPACE   NAME     CHANGE    DETAILS',
        'pod    default     db       added     phase=Pending node=<none> ready=0/1 restarts=0',
        'pod    default     web      removed   phase=Pending node=<none> ready=0/1 restarts=0',
        'pod    default     web      added     phase=Pending node=<none> ready=0/1 restarts=0',
        'node               node-1   changed   unschedulable: false -> true',
        '',
      ].join('\n'),
    });
    expect((await run('diff', '--from', '2', '--to', '2024-05-01T11:59:06Z')).out).toBe(
      [
        'From resourceVersion 2 to 6 (2024-05-01T11:59:06Z):',
        'KIND   NAMESPACE   NAME   CHANGE    DETAILS',
        'pod    default     web    changed   phase: Pending -> Running, node: <none> -> node-1, ready: 0/1 -> 1/1',
        '',
      ].join('\n'),
    );
    expect((await run('diff', '--from', '3', '--to', '3')).out).toBe('From resourceVersion 3 to 3:\nNo changes.\n');
    expect(await run('diff', '--from', '3', '--to', 'soon')).toMatchObject({ code: 1, err: expect.stringMatching(/^Error from server \(BadRequest\): to: invalid value "soon"/) });
    expect(await run('diff', '--from', '3')).toMatchObject({ code: 1, err: expect.stringContaining("error: required option '--to <seq|time>' not specified") });
  });
});
