// `Warning` response headers (RFC 7234): `299 - "text"`, one per warning. fetch joins repeated
// headers with ", ", so the texts are parsed out of the quoted strings rather than split on commas.

const WARNING = /^\s*(\d{3})\s+(\S+)\s+"((?:[^"\\]|\\.)*)"(?:\s+"[^"]*")?\s*(?:,|$)/;

/** The texts of the 299 warnings in a `Warning` header value, in order. */
export function parseWarningHeader(value: string | null | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  let rest = value;
  while (rest.trim() !== '') {
    const match = WARNING.exec(rest);
    if (!match) {
      // Not RFC-shaped: surface it whole rather than lose it.
      out.push(rest.trim());
      break;
    }
    const [whole, code, , text] = match;
    // Kubernetes clients surface only 299 ("Miscellaneous persistent warning").
    if (code === '299') out.push((text ?? '').replace(/\\(.)/g, '$1'));
    rest = rest.slice(whole.length);
  }
  return out;
}
