import { InvalidSubjectError } from './errors.ts';

export const EVENTS_SUBJECT_PREFIX = 'flotilla.ev';
/** Every event subject: the stream's only subject. */
export const ALL_EVENTS = 'flotilla.ev.>';
export const POD_EVENTS = 'flotilla.ev.pod.>';
export const NODE_EVENTS = 'flotilla.ev.node.>';
export const REPLICASET_EVENTS = 'flotilla.ev.replicaset.>';

export type SubjectKind = 'pod' | 'node' | 'replicaset';

export interface ParsedSubject {
  kind: SubjectKind;
  /** Set for namespaced kinds (pod, replicaset). */
  namespace?: string;
  name: string;
}

// Characters a token may hold verbatim: printable ASCII except '%' (the escape), '.', '*', '>'.
const NEEDS_ENCODING = /[^\x21-\x7E]|[%.*>]/;
const HEX = '0123456789ABCDEF';
const utf8 = new TextEncoder();

function percent(byte: number): string {
  return '%' + HEX[byte >> 4] + HEX[byte & 15];
}

/**
 * Encodes a name (which may hold dots) as exactly one NATS subject token, reversibly:
 * percent-encodes '%', '.', '*', '>', whitespace and anything outside printable ASCII (as UTF-8 bytes).
 */
export function encodeToken(name: string): string {
  if (name.length === 0) throw new InvalidSubjectError(name, 'a name must not be empty');
  if (!NEEDS_ENCODING.test(name)) return name;
  let out = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp > 0x20 && cp < 0x7f && ch !== '%' && ch !== '.' && ch !== '*' && ch !== '>') {
      out += ch;
    } else if (cp < 0x80) {
      out += percent(cp);
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate has no UTF-8 form: encoding it would not round-trip.
      throw new InvalidSubjectError(name, 'a name must be well-formed Unicode');
    } else {
      for (const byte of utf8.encode(ch)) out += percent(byte);
    }
  }
  return out;
}

/** Inverse of encodeToken. */
export function decodeToken(token: string): string {
  if (!token.includes('%')) return token;
  try {
    return decodeURIComponent(token);
  } catch (err) {
    throw new InvalidSubjectError(token, 'malformed percent-encoding', { cause: err });
  }
}

export function podSubject(namespace: string, name: string): string {
  return `${EVENTS_SUBJECT_PREFIX}.pod.${encodeToken(namespace)}.${encodeToken(name)}`;
}

export function nodeSubject(name: string): string {
  return `${EVENTS_SUBJECT_PREFIX}.node.${encodeToken(name)}`;
}

export function replicaSetSubject(namespace: string, name: string): string {
  return `${EVENTS_SUBJECT_PREFIX}.replicaset.${encodeToken(namespace)}.${encodeToken(name)}`;
}

/** The kind, namespace and (decoded) name of an event subject; undefined when it is not one. */
export function parseSubject(subject: string): ParsedSubject | undefined {
  const t = subject.split('.');
  if (t[0] !== 'flotilla' || t[1] !== 'ev') return undefined;
  try {
    switch (t[2]) {
      case 'pod':
      case 'replicaset': {
        const ns = t[3];
        const name = t[4];
        if (t.length !== 5 || !ns || !name) return undefined;
        return { kind: t[2], namespace: decodeToken(ns), name: decodeToken(name) };
      }
      case 'node': {
        const name = t[3];
        if (t.length !== 4 || !name) return undefined;
        return { kind: 'node', name: decodeToken(name) };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

// 'flotilla.ev' then one or more non-empty literal tokens (no wildcards, no whitespace).
const EVENT_SUBJECT = /^flotilla\.ev(?:\.[\x21-\x29\x2B-\x2D\x2F-\x3D\x3F-\x7E]+)+$/;

/** Throws InvalidSubjectError unless `subject` is a literal subject under 'flotilla.ev.'. */
export function assertEventSubject(subject: string): void {
  if (!EVENT_SUBJECT.test(subject)) {
    throw new InvalidSubjectError(
      subject,
      `an event subject is '${EVENTS_SUBJECT_PREFIX}.' followed by non-empty tokens without wildcards or whitespace`,
    );
  }
}

export type SubjectMatcher = (subject: string) => boolean;

/** Compiles a NATS subject filter ('*' = one token, '>' = one or more trailing tokens) to a predicate. */
export function compileSubjectFilter(filter: string): SubjectMatcher {
  const tokens = filter.split('.');
  tokens.forEach((tok, i) => {
    if (tok === '' || /\s/.test(tok)) throw new InvalidSubjectError(filter, 'empty token or whitespace in filter');
    if (tok === '>' && i !== tokens.length - 1) throw new InvalidSubjectError(filter, "'>' must be the last token");
  });
  const hasStar = tokens.includes('*');
  const hasTail = tokens[tokens.length - 1] === '>';
  if (!hasStar && !hasTail) return (subject) => subject === filter;
  if (!hasStar) {
    const prefix = filter.slice(0, -1); // keeps the trailing '.'
    return (subject) => subject.length > prefix.length && subject.startsWith(prefix);
  }
  return (subject) => {
    const s = subject.split('.');
    if (hasTail ? s.length < tokens.length : s.length !== tokens.length) return false;
    const n = hasTail ? tokens.length - 1 : tokens.length;
    for (let i = 0; i < n; i++) {
      const f = tokens[i];
      if (f !== '*' && f !== s[i]) return false;
    }
    return true;
  };
}

export function subjectMatches(filter: string, subject: string): boolean {
  return compileSubjectFilter(filter)(subject);
}
