// Subjects of the node RPCs. These ride on core NATS (the server JetStream runs on), not on the
// event log: they are requests to one node agent, answered live, and nothing about them is kept.

/** Every node agent that hosts a node joins this queue group, so a request is answered exactly once. */
export const NODE_RPC_QUEUE = 'flotilla-node-rpc';

/**
 * A node name as one NATS subject token. Node names are DNS subdomains, and their dots would split
 * the token, so every character outside `[A-Za-z0-9-]` becomes `_` plus its UTF-8 bytes in hex:
 * `worker.example.com` -> `worker_2eexample_2ecom`. `_` never occurs unescaped, so the mapping is
 * reversible and distinct names never share a token.
 */
export function nodeSubjectToken(nodeName: string): string {
  if (nodeName === '') throw new RangeError('node name must not be empty');
  let out = '';
  for (const char of nodeName) {
    if (/^[A-Za-z0-9-]$/.test(char)) {
      out += char;
      continue;
    }
    for (const byte of new TextEncoder().encode(char)) out += `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** `flotilla.node.<token>.logs`: where the agent hosting `nodeName` serves container logs. */
export function logsSubject(nodeName: string): string {
  return `flotilla.node.${nodeSubjectToken(nodeName)}.logs`;
}
