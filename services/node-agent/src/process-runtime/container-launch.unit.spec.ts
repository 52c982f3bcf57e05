import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { ContainerStartError } from '@flotilla/runtime';
import {
  SANDBOX_SCRIPT,
  containerLaunch,
  execInContainerArgv,
  expandVarRefs,
  isEmptyDirVolume,
  podHostname,
  resolveMounts,
  volumeEnvName,
  type ContainerLaunchInput,
} from './container-launch.ts';
import type { PodNetworkSetup } from './pod-network.ts';

function pod(spec: Partial<Pod['spec']> = {}, name = 'web'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: 'uid-1', creationTimestamp: '2024-01-01T00:00:00Z', labels: { app: 'web' } },
    spec: { containers: [], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cache-dir', emptyDir: { medium: 'Memory' } }], ...spec, nodeName: 'node-1' },
  };
}

const netns: PodNetworkSetup = { mode: 'netns', podIP: '10.244.0.5', netns: 'flotilla-uid-1', execPrefix: ['ip', 'netns', 'exec', 'flotilla-uid-1'] };
const loopback: PodNetworkSetup = { mode: 'loopback', podIP: '127.244.0.5', execPrefix: [] };
const volumes = { data: '/var/pods/uid-1/volumes/data', 'cache-dir': '/var/pods/uid-1/volumes/cache-dir' };

function launch(container: Container, overrides: Partial<ContainerLaunchInput> = {}) {
  return containerLaunch({ pod: pod(), container, network: netns, volumes, privileged: true, baseEnv: { PATH: '/bin' }, ...overrides });
}

function configError(run: () => unknown): ContainerStartError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ContainerStartError);
    expect((error as ContainerStartError).reason).toBe('CreateContainerConfigError');
    return error as ContainerStartError;
  }
  throw new Error('expected a CreateContainerConfigError');
}

describe('containerLaunch as root (network, mount and UTS namespaces)', () => {
  it('runs the sandbox script inside the pod network namespace with hostname, workingDir, mounts (parents first) and the command as positional arguments', () => {
    const result = launch({
      name: 'app',
      command: ['node', '-e'],
      args: ['console.log(1)'],
      workingDir: '/srv/app/',
      volumeMounts: [
        { name: 'cache-dir', mountPath: '/srv/app/cache', readOnly: true },
        { name: 'data', mountPath: '/srv/app', subPath: 'www/' },
      ],
    });
    expect(result.argv).toEqual([
      'ip', 'netns', 'exec', 'flotilla-uid-1',
      'unshare', '--mount', '--uts', '--propagation', 'private', '--',
      '/bin/sh', '-c', SANDBOX_SCRIPT, 'sh',
      'web', '/srv/app', '2',
      '/var/pods/uid-1/volumes/data/www', '/srv/app', 'rw',
      '/var/pods/uid-1/volumes/cache-dir', '/srv/app/cache', 'ro',
      'node', '-e', 'console.log(1)',
    ]);
    expect(result.cwd).toBe('/');
    expect(result.env).toEqual({ PATH: '/bin', POD_IP: '10.244.0.5', POD_NAME: 'web', POD_NAMESPACE: 'default', HOSTNAME: 'web' });
  });

  it('never interpolates paths or arguments into the script', () => {
    const result = launch({ name: 'app', command: ['sh', '-c', 'echo "$1"', 'x; rm -rf /'], volumeMounts: [{ name: 'data', mountPath: "/it's here" }] });
    expect(result.argv).toContain(SANDBOX_SCRIPT);
    expect(SANDBOX_SCRIPT).not.toContain("it's");
    expect(result.argv.slice(-4)).toEqual(['sh', '-c', 'echo "$1"', 'x; rm -rf /']);
  });

  it('runs without the netns prefix when the network is loopback but mounts are possible', () => {
    const result = launch({ name: 'app', command: ['true'] }, { network: loopback });
    expect(result.argv.slice(0, 2)).toEqual(['unshare', '--mount']);
    expect(result.env.POD_IP).toBe('127.244.0.5');
  });
});

describe('containerLaunch without root', () => {
  it('runs the command directly, tells volumes through FLOTILLA_VOLUME_<NAME> and maps a workingDir inside a volume to the host', () => {
    const result = launch(
      { name: 'app', command: ['node'], args: ['server.js'], workingDir: '/srv/www/site', volumeMounts: [{ name: 'cache-dir', mountPath: '/cache' }, { name: 'data', mountPath: '/srv/www', subPath: 'w' }] },
      { network: loopback, privileged: false },
    );
    expect(result.argv).toEqual(['node', 'server.js']);
    expect(result.cwd).toBe('/var/pods/uid-1/volumes/data/w/site');
    expect(result.env).toMatchObject({
      POD_IP: '127.244.0.5',
      FLOTILLA_VOLUME_CACHE_DIR: '/var/pods/uid-1/volumes/cache-dir',
      FLOTILLA_VOLUME_DATA: '/var/pods/uid-1/volumes/data/w',
    });
  });

  it('uses the workingDir as it is when no volume holds it, and / without one', () => {
    expect(launch({ name: 'a', command: ['true'], workingDir: '/tmp' }, { network: loopback, privileged: false }).cwd).toBe('/tmp');
    expect(launch({ name: 'a', command: ['true'] }, { network: loopback, privileged: false }).cwd).toBe('/');
  });
});

describe('container env', () => {
  it('lets container env override the provided variables and refer to earlier ones with $(VAR); $$ escapes', () => {
    const result = launch({
      name: 'app',
      command: ['echo', '$(GREETING)', '$$(GREETING)', '$(UNSET)'],
      env: [
        { name: 'NAME', value: 'world' },
        { name: 'GREETING', value: 'hello $(NAME) at $(POD_IP)' },
        { name: 'LATER', value: '$(AFTER)' },
        { name: 'AFTER', value: 'x' },
        { name: 'EMPTY' },
        { name: 'HOSTNAME', value: 'custom' },
      ],
    });
    expect(result.env).toMatchObject({ GREETING: 'hello world at 10.244.0.5', LATER: '$(AFTER)', EMPTY: '', HOSTNAME: 'custom' });
    expect(result.argv.slice(-4)).toEqual(['echo', 'hello world at 10.244.0.5', '$(GREETING)', '$(UNSET)']);
  });

  it('answers downward API fieldRefs and refuses ConfigMap and Secret refs unless optional', () => {
    const result = launch({
      name: 'app',
      command: ['true'],
      env: [
        { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MY_APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } },
      ],
    });
    expect(result.env).toMatchObject({ MY_IP: '10.244.0.5', MY_NODE: 'node-1', MY_APP: 'web' });
    expect(result.env).not.toHaveProperty('MAYBE');
    expect(configError(() => launch({ name: 'app', command: ['true'], env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'pw', key: 'k' } } }] })).message).toContain('secret "pw" not found');
    expect(configError(() => launch({ name: 'app', command: ['true'], env: [{ name: 'S', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }] })).message).toContain('status.hostIP');
  });

  it('expands references as Kubernetes does', () => {
    const lookup = (name: string) => ({ A: 'a', B: '' })[name];
    expect(expandVarRefs('$(A)-$(B)-$(C)-$$-$x-$', lookup)).toBe('a--$(C)-$-$x-$');
    expect(expandVarRefs('$(A', lookup)).toBe('$(A');
  });
});

describe('unusable container configs are CreateContainerConfigError', () => {
  const cases: Array<[string, Container, string]> = [
    ['no command', { name: 'c', image: 'nginx' }, 'no command'],
    ['args but no command', { name: 'c', args: ['x'] }, 'no command'],
    ['unknown volume', { name: 'c', command: ['true'], volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, 'no volume of that name'],
    ['relative mountPath', { name: 'c', command: ['true'], volumeMounts: [{ name: 'data', mountPath: 'x' }] }, 'absolute'],
    ['.. in mountPath', { name: 'c', command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/a/../etc' }] }, 'absolute'],
    ['mountPath /', { name: 'c', command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/' }] }, 'hide'],
    ['same mountPath twice', { name: 'c', command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/x' }, { name: 'cache-dir', mountPath: '/x/' }] }, 'twice'],
    ['absolute subPath', { name: 'c', command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '/etc' }] }, 'subPath'],
    ['.. in subPath', { name: 'c', command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/x', subPath: 'a/../../b' }] }, 'subPath'],
    ['relative workingDir', { name: 'c', command: ['true'], workingDir: 'app' }, 'workingDir'],
  ];
  it.each(cases)('%s', (_label, container, fragment) => {
    const error = configError(() => launch(container));
    expect(error.message).toContain(fragment);
    expect(error.message).toContain(`container ${container.name} of pod default/web`);
  });

  it('refuses a volume the runtime does not provide, or one that was not prepared', () => {
    const withHostPath = pod({ volumes: [{ name: 'host', hostPath: { path: '/etc' } }] });
    expect(configError(() => containerLaunch({ pod: withHostPath, container: { name: 'c', command: ['true'], volumeMounts: [{ name: 'host', mountPath: '/x' }] }, network: netns, volumes: {}, privileged: true })).message).toContain('emptyDir volumes only');
    expect(configError(() => launch({ name: 'c', command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/x' }] }, { volumes: {} })).message).toContain('not prepared');
  });
});

describe('pure helpers', () => {
  it('orders mounts parents first and normalises their paths', () => {
    const mounts = resolveMounts(pod(), { name: 'c', volumeMounts: [{ name: 'data', mountPath: '/a/b/c/' }, { name: 'cache-dir', mountPath: '//a' }] });
    expect(mounts.map((m) => m.mountPath)).toEqual(['/a', '/a/b/c']);
  });

  it('treats a volume without a source as emptyDir, as Kubernetes defaults it', () => {
    expect(isEmptyDirVolume({ name: 'v' })).toBe(true);
    expect(isEmptyDirVolume({ name: 'v', emptyDir: {} })).toBe(true);
    expect(isEmptyDirVolume({ name: 'v', configMap: { name: 'x' } })).toBe(false);
  });

  it('makes the hostname from the pod name as the kubelet does', () => {
    expect(podHostname(pod({}, 'web-0'))).toBe('web-0');
    const long = `${'a'.repeat(62)}-b`;
    expect(podHostname(pod({}, long))).toBe('a'.repeat(62));
  });

  it('names volume env vars in upper case with underscores', () => {
    expect(volumeEnvName('shared-data')).toBe('FLOTILLA_VOLUME_SHARED_DATA');
  });

  it('enters a running container with nsenter as root and runs the command plainly otherwise', () => {
    expect(execInContainerArgv({ containerPid: 42, command: ['cat', '/x'], privileged: true })).toEqual(['nsenter', '-t', '42', '-n', '-m', '-u', '--wd', '--', 'cat', '/x']);
    expect(execInContainerArgv({ containerPid: 42, command: ['cat', '/x'], privileged: false })).toEqual(['cat', '/x']);
    expect(() => execInContainerArgv({ containerPid: 0, command: ['x'], privileged: true })).toThrow(RangeError);
  });
});
