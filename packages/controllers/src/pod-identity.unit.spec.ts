import { describe, expect, it } from 'vitest';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { NAME_SUFFIX_ALPHABET, replicaSetPodIdentity, replicaSetPodPrefix } from './pod-identity.ts';

const rs = { metadata: { name: 'web', uid: '6f1c9a52-8c1e-4d0e-9d55-3f3b8f1f2a10' } };

describe('replicaSetPodIdentity', () => {
  it('names the pod <rs>-<5 characters of Kubernetes\' suffix alphabet> and gives it a uuid v5', () => {
    const { name, uid } = replicaSetPodIdentity(rs, 0);
    expect(name).toMatch(new RegExp(`^web-[${NAME_SUFFIX_ALPHABET}]{5}$`));
    expect(isUuid(uid)).toBe(true);
    expect(uuidVersion(uid)).toBe(5);
  });

  it('is a pure function of the owner uid and the ordinal: every controller proposes the same pod', () => {
    expect(replicaSetPodIdentity(rs, 7)).toEqual(replicaSetPodIdentity({ metadata: { ...rs.metadata } }, 7));
    const other = { metadata: { name: 'web', uid: 'a-later-web' } };
    expect(replicaSetPodIdentity(other, 7).uid).not.toBe(replicaSetPodIdentity(rs, 7).uid);
  });

  it('gives every ordinal (and every attempt of one) its own identity', () => {
    const identities = Array.from({ length: 200 }, (_, n) => replicaSetPodIdentity(rs, n));
    expect(new Set(identities.map((i) => i.uid)).size).toBe(200);
    expect(new Set(identities.map((i) => i.name)).size).toBeGreaterThanOrEqual(199);
    const retry = replicaSetPodIdentity(rs, 0, 1);
    expect(retry.uid).not.toBe(identities[0]!.uid);
    expect(retry.name).not.toBe(identities[0]!.name);
  });

  it('cuts a long base name as Kubernetes cuts generateName, so the name stays a 63-character label', () => {
    const long = { metadata: { name: 'x'.repeat(70), uid: 'u' } };
    expect(replicaSetPodPrefix(long)).toHaveLength(58);
    expect(replicaSetPodIdentity(long, 0).name).toHaveLength(63);
  });
});
