import { describe, expect, it } from 'vitest';
import { SseParser, readSse } from './sse.ts';

describe('SseParser', () => {
  it('parses id and data, ignoring comments', () => {
    const parser = new SseParser();
    const messages = parser.feed(': ping\n\nid: 7\ndata: {"type":"ADDED"}\n\n');
    expect(messages).toEqual([{ id: '7', event: 'message', data: '{"type":"ADDED"}' }]);
    expect(parser.lastEventId).toBe('7');
  });

  it('joins multi-line data and handles a field without a space after the colon', () => {
    const parser = new SseParser();
    expect(parser.feed('data:a\ndata: b\nevent: x\n\n')).toEqual([{ event: 'x', data: 'a\nb' }]);
  });

  it('reassembles a message split across chunks at every position', () => {
    const text = 'id: 12\r\ndata: {"type":"MODIFIED","object":{"n":"é"}}\r\n\r\n: ping\n\nid: 13\rdata: x\r\r';
    const whole = new SseParser().feed(text);
    expect(whole).toHaveLength(2);
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const got = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
      expect(got, `cut at ${cut}`).toEqual(whole);
    }
  });

  it('treats CR, LF and CRLF alike and does not double-count a CRLF split between chunks', () => {
    const parser = new SseParser();
    const a = parser.feed('data: one\r');
    const b = parser.feed('\n\r\n');
    expect([...a, ...b]).toEqual([{ event: 'message', data: 'one' }]);
  });

  it('reports an id-only message (no data) so resumption can track it', () => {
    expect(new SseParser().feed('id: 40\n\n')).toEqual([{ id: '40', event: 'message' }]);
  });

  it('drops empty blocks and keeps lastEventId across messages', () => {
    const parser = new SseParser();
    expect(parser.feed('\n\n\n')).toEqual([]);
    parser.feed('id: 3\ndata: a\n\n');
    parser.feed('data: b\n\n');
    expect(parser.lastEventId).toBe('3');
  });
});

describe('readSse', () => {
  it('decodes a multi-byte character split between chunks and drops an unterminated tail', async () => {
    const bytes = new TextEncoder().encode('data: héllo\n\ndata: cut');
    const split = bytes.indexOf(0xc3) + 1; // inside "é"
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });
    const out = [];
    for await (const message of readSse(body)) out.push(message);
    expect(out).toEqual([{ event: 'message', data: 'héllo' }]);
  });
});
