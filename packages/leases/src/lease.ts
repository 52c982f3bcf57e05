import { z } from 'zod';

/** The KV bucket holding one lease per node (coordination.k8s.io Leases in kube-node-lease). */
export const LEASE_BUCKET = 'flotilla-leases';

/** A node's heartbeat: who holds it, when it was last renewed, and how long that renewal counts. */
export const NodeLeaseSchema = z.object({
  nodeName: z.string().min(1),
  holderIdentity: z.string().min(1),
  /** ISO 8601, as written by the renewer's clock. */
  renewTime: z.iso.datetime({ offset: true }),
  leaseDurationSeconds: z.number().int().positive(),
});

export type NodeLease = z.infer<typeof NodeLeaseSchema>;

/** Characters a KV key may hold as they are (`=` is the escape, so it is always escaped itself). */
const PLAIN = /^[-/_.a-zA-Z0-9]$/;

/**
 * A node name as a KV key. Node names are DNS subdomains, so this is nearly always the name itself;
 * anything else (and `=`) becomes `=` plus its UTF-8 bytes in hex, and so does a dot that would
 * leave an empty subject token (first, last, or after another dot). Distinct names never share a key.
 */
export function leaseKey(nodeName: string): string {
  if (nodeName === '') throw new RangeError('node name must not be empty');
  let out = '';
  const chars = [...nodeName];
  chars.forEach((char, i) => {
    const emptyToken = char === '.' && (i === 0 || i === chars.length - 1 || out.endsWith('.'));
    if (PLAIN.test(char) && !emptyToken) {
      out += char;
      return;
    }
    for (const byte of new TextEncoder().encode(char)) out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return out;
}

/** The node name a key was made from (leaseKey's inverse). */
export function nodeNameOfLeaseKey(key: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '=') {
      bytes.push(Number.parseInt(key.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...encoder.encode(key[i]));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
