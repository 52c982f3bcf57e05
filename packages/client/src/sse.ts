// Server-sent events, parsed as the WHATWG spec says (lines end in CRLF, LF or CR; `:` starts a
// comment; `data` lines join with "\n"; an empty line dispatches), fed in arbitrary chunks.

export interface SseMessage {
  /** The `id:` given in this message, if any. */
  id?: string;
  /** The `event:` name; "message" when not given. */
  event: string;
  /** The joined `data:` lines; undefined when the message had none (an id-only message). */
  data?: string;
  retry?: number;
}

export class SseParser {
  private buffer = '';
  private skipLeadingLf = false;
  private dataLines: string[] | undefined;
  private eventName = '';
  private id: string | undefined;
  private retry: number | undefined;
  /** The last `id:` seen in the stream; survives messages, as EventSource's lastEventId does. */
  lastEventId: string | undefined;

  /** Feeds decoded text; returns the messages completed by it. */
  feed(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let text = chunk;
    if (this.skipLeadingLf) {
      // The previous chunk ended in CR; a LF starting this one belongs to the same CRLF.
      if (text.startsWith('\n')) text = text.slice(1);
      if (text !== '') this.skipLeadingLf = false;
    }
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
      const message = this.line(line);
      if (message) out.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        (this.dataLines ??= []).push(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message: SseMessage = { event: this.eventName || 'message' };
    if (this.id !== undefined) message.id = this.id;
    if (this.dataLines !== undefined) message.data = this.dataLines.join('\n');
    if (this.retry !== undefined) message.retry = this.retry;
    const empty = this.id === undefined && this.dataLines === undefined && this.retry === undefined;
    this.dataLines = undefined;
    this.eventName = '';
    this.id = undefined;
    this.retry = undefined;
    return empty ? undefined : message;
  }
}

/**
 * Reads SSE messages from a byte stream. `onActivity` is called for every chunk (comments and
 * pings included) so a caller can tell a quiet stream from a dead one. A message cut off by the end
 * of the stream is dropped, as the spec says.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, onActivity?: () => void): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  let done = false;
  try {
    while (true) {
      const result = await reader.read();
      if (result.done) {
        done = true;
        const rest = decoder.decode();
        if (rest) yield* parser.feed(rest);
        return;
      }
      onActivity?.();
      yield* parser.feed(decoder.decode(result.value, { stream: true }));
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
