import { describe, expect, it } from 'vitest';
import { msgIdFor, subjectFor } from './envelope.ts';
import { DOMAIN_EVENT_TYPES, SCHEMA_VERSIONS } from './events.ts';
import type { PodDeletionRequested, PodNominated } from './events.ts';

const nominated: PodNominated = {
  type: 'PodNominated',
  data: {
    namespace: 'default',
    name: 'high',
    uid: 'u-high',
    nodeName: 'n1',
    schedulerName: 'default-scheduler',
    attempt: 3,
    victims: [{ namespace: 'default', name: 'low', uid: 'u-low' }],
    message: '0/1 nodes are available: 1 Insufficient cpu.',
  },
};

describe('preemption events', () => {
  it('PodNominated is a known type at schema version 1, stored under the preemptor\'s subject', () => {
    expect(DOMAIN_EVENT_TYPES).toContain('PodNominated');
    expect(SCHEMA_VERSIONS.PodNominated).toBe(1);
    expect(subjectFor(nominated)).toBe(subjectFor({ type: 'PodDeleted', data: { namespace: 'default', name: 'high', uid: 'u-high' } }));
  });

  it('PodNominated has a deterministic Nats-Msg-Id per pod and attempt', () => {
    expect(msgIdFor(nominated)).toBe('u-high:PodNominated:3');
  });

  it('a preemption\'s deletion request is not deduplicated against a user\'s delete of the same pod', () => {
    const byUser: PodDeletionRequested = { type: 'PodDeletionRequested', data: { namespace: 'default', name: 'low', uid: 'u-low', gracePeriodSeconds: 30 } };
    const preempted: PodDeletionRequested = { type: 'PodDeletionRequested', data: { ...byUser.data, reason: 'Preempted' } };
    expect(msgIdFor(byUser)).toBe('u-low:PodDeletionRequested');
    expect(msgIdFor(preempted)).toBe('u-low:PodDeletionRequested:Preempted');
  });
});
