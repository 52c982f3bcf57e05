import { describe, expect, it } from 'vitest';
import { InvalidSubjectError } from './errors.ts';
import {
  ALL_EVENTS,
  EVENTS_SUBJECT_PREFIX,
  NODE_EVENTS,
  assertEventSubject,
  compileSubjectFilter,
  decodeToken,
  encodeToken,
  nodeSubject,
  parseSubject,
  podSubject,
  replicaSetSubject,
  subjectMatches,
} from './subjects.ts';

describe('encodeToken / decodeToken', () => {
  it.each([
    'web',
    'web-1',
    'kube.system',
    'a.b.c.d',
    '100%',
    '%2E',
    'star*',
    'gt>',
    '*',
    '>',
    'with space',
    'tab\there',
    'new\nline',
    'ünïcødé',
    '名前',
    'emoji-🚀',
    '~!@#$^&()_+={}[]|\\:;"\'<,?/',
  ])('round-trips %j as exactly one safe token', (name) => {
    const token = encodeToken(name);
    expect(token).not.toMatch(/[.*>\s]/);
    expect(token).toMatch(/^[\x21-\x7E]+$/);
    expect(decodeToken(token)).toBe(name);
  });

  it('leaves ordinary Kubernetes names untouched', () => {
    expect(encodeToken('nginx-7c5ddbdf54-x2x8k')).toBe('nginx-7c5ddbdf54-x2x8k');
  });

  it('percent-encodes the separators and the escape character', () => {
    expect(encodeToken('a.b')).toBe('a%2Eb');
    expect(encodeToken('50%')).toBe('50%25');
    expect(encodeToken('a b')).toBe('a%20b');
    expect(encodeToken('*')).toBe('%2A');
    expect(encodeToken('>')).toBe('%3E');
    expect(encodeToken('é')).toBe('%C3%A9');
  });

  it('keeps distinct names distinct', () => {
    expect(encodeToken('a.b')).not.toBe(encodeToken('a%2Eb'));
    expect(decodeToken(encodeToken('a%2Eb'))).toBe('a%2Eb');
  });

  it('refuses empty names, lone surrogates and malformed escapes', () => {
    expect(() => encodeToken('')).toThrow(InvalidSubjectError);
    expect(() => encodeToken('bad\uD800')).toThrow(InvalidSubjectError);
    expect(() => decodeToken('%E0%A4%A')).toThrow(InvalidSubjectError);
  });
});

describe('subject builders and parseSubject', () => {
  it('builds the documented subjects', () => {
    expect(EVENTS_SUBJECT_PREFIX).toBe('flotilla.ev');
    expect(ALL_EVENTS).toBe('flotilla.ev.>');
    expect(podSubject('default', 'web')).toBe('flotilla.ev.pod.default.web');
    expect(nodeSubject('node-1')).toBe('flotilla.ev.node.node-1');
    expect(replicaSetSubject('default', 'web')).toBe('flotilla.ev.replicaset.default.web');
  });

  it('keeps dotted names one token each', () => {
    const subject = podSubject('team.a', 'web.v1.2');
    expect(subject).toBe('flotilla.ev.pod.team%2Ea.web%2Ev1%2E2');
    expect(subject.split('.')).toHaveLength(5);
    expect(parseSubject(subject)).toEqual({ kind: 'pod', namespace: 'team.a', name: 'web.v1.2' });
    expect(parseSubject(nodeSubject('node.eu-1.example.com'))).toEqual({ kind: 'node', name: 'node.eu-1.example.com' });
    expect(parseSubject(replicaSetSubject('ns', 'rs.1'))).toEqual({ kind: 'replicaset', namespace: 'ns', name: 'rs.1' });
  });

  it('returns undefined for subjects that are not event subjects', () => {
    for (const subject of [
      'flotilla.ev.pod.default',
      'flotilla.ev.pod.default.web.extra',
      'flotilla.ev.node',
      'flotilla.ev.node.a.b',
      'flotilla.ev.secret.x',
      'other.ev.pod.default.web',
      'flotilla.ev.pod.default.%E0%A4%A',
    ]) {
      expect(parseSubject(subject)).toBeUndefined();
    }
  });

  it('accepts built subjects and rejects wildcards, empty tokens and foreign prefixes', () => {
    expect(() => assertEventSubject(podSubject('a.b', 'c d*'))).not.toThrow();
    for (const bad of ['flotilla.ev', 'flotilla.ev.', 'flotilla.ev.>', 'flotilla.ev.pod.*.x', 'flotilla.ev..x', 'x.flotilla.ev.pod', 'flotilla.ev.a b']) {
      expect(() => assertEventSubject(bad)).toThrow(InvalidSubjectError);
    }
  });
});

describe('subject filters', () => {
  it('matches like NATS: * is one token, > is one or more trailing tokens', () => {
    const pod = podSubject('default', 'web');
    expect(subjectMatches(ALL_EVENTS, pod)).toBe(true);
    expect(subjectMatches(NODE_EVENTS, pod)).toBe(false);
    expect(subjectMatches(NODE_EVENTS, nodeSubject('n1'))).toBe(true);
    expect(subjectMatches('flotilla.ev.pod.*.web', pod)).toBe(true);
    expect(subjectMatches('flotilla.ev.pod.*', pod)).toBe(false);
    expect(subjectMatches('flotilla.ev.*.default.>', pod)).toBe(true);
    expect(subjectMatches('flotilla.ev.pod.default.>', 'flotilla.ev.pod.default')).toBe(false);
    expect(subjectMatches(pod, pod)).toBe(true);
    expect(subjectMatches(pod, podSubject('default', 'web2'))).toBe(false);
    expect(subjectMatches('>', pod)).toBe(true);
  });

  it('rejects malformed filters', () => {
    expect(() => compileSubjectFilter('flotilla.>.pod')).toThrow(InvalidSubjectError);
    expect(() => compileSubjectFilter('flotilla..pod')).toThrow(InvalidSubjectError);
  });
});
