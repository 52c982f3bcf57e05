import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

/** Kubernetes' alphabet for generated name suffixes (utilrand): no vowels, no 0/1/3, so no words and no look-alikes. */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const NAME_SUFFIX_LENGTH = 5;
/** A generated name's base is cut to this many characters so that base + suffix fits a DNS-1123 label (63). */
export const MAX_GENERATE_NAME_BASE_LENGTH = 63 - NAME_SUFFIX_LENGTH;

/** Fixed uuid v5 namespace of the pods ReplicaSets create: a pod's uid is a pure function of its owner and ordinal. */
export const REPLICA_SET_POD_UID_NAMESPACE = '419f6b14-0996-4c16-8ade-fef222b31822';

export interface ReplicaSetRef {
  metadata: { name: string; uid: string };
}

export interface PodIdentity {
  name: string;
  uid: string;
}

/** `<rs>-`, cut as Kubernetes cuts a generateName prefix. */
export function replicaSetPodPrefix(rs: ReplicaSetRef): string {
  const prefix = `${rs.metadata.name}-`;
  return prefix.length > MAX_GENERATE_NAME_BASE_LENGTH ? prefix.slice(0, MAX_GENERATE_NAME_BASE_LENGTH) : prefix;
}

/**
 * The name and uid of a ReplicaSet's n-th pod (`ordinal` n, counted by the fold's podsCreated). Both are
 * pure functions of (owner uid, ordinal), so every controller replica, and a restarted one, proposes the
 * same pod, and the log's Nats-Msg-Id (`${uid}:PodCreated`) stores it once.
 *
 * `attempt` > 0 picks another identity for the same ordinal: when the name is already taken by some
 * other pod, or when that uid was stored once and the fold ignored it (a uid is never proposed twice).
 */
export function replicaSetPodIdentity(rs: ReplicaSetRef, ordinal: number, attempt = 0): PodIdentity {
  const seed = attempt === 0 ? `${rs.metadata.uid}/${ordinal}` : `${rs.metadata.uid}/${ordinal}/${attempt}`;
  return { name: `${replicaSetPodPrefix(rs)}${nameSuffix(seed)}`, uid: uuidv5(seed, REPLICA_SET_POD_UID_NAMESPACE) };
}

function nameSuffix(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let suffix = '';
  // Two bytes per character keeps the modulo bias negligible (65536 % 27 = 7).
  for (let i = 0; i < NAME_SUFFIX_LENGTH; i++) suffix += NAME_SUFFIX_ALPHABET[digest.readUInt16BE(i * 2) % NAME_SUFFIX_ALPHABET.length];
  return suffix;
}
