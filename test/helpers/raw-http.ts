/**
 * Raw HTTP over a loopback socket, for requests no HTTP client would send (malformed request
 * lines, bad headers, truncated bodies). Resolves with what the server wrote before it closed
 * the connection (or before `idle` resolution: see `untilResponse`).
 */
import { connect, type Socket } from 'node:net';

export interface RawReply {
  /** Status code of the first response, or undefined when the server closed without one. */
  readonly status: number | undefined;
  /** Every byte the server sent, as latin1 text. */
  readonly text: string;
}

/** Status code of the first HTTP response in `text`. */
export function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface RawOptions {
  /** Source address of the connection (a loopback address such as 127.0.0.2). */
  readonly localAddress?: string;
  /** Write the request in these pieces, one event-loop turn apart (a slow client). */
  readonly chunks?: number;
  /** Half-close after writing (default true): the server sees the end of the request. */
  readonly end?: boolean;
}

/** Send `bytes` to 127.0.0.1:`port` and collect the reply until the server closes. */
export function rawRequest(port: number, bytes: string | Buffer, opts: RawOptions = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({
      host: '127.0.0.1',
      port,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    // The server closed its side: everything it will ever send is here.
    socket.on('end', () => socket.destroy());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the reply (the server closed a bad connection) is still a reply.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
      reject(err);
    });
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1');
      resolve({ status: statusOf(text), text });
    });
    socket.on('connect', () => {
      const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      const pieces = Math.max(1, Math.min(opts.chunks ?? 1, buf.length || 1));
      const size = Math.ceil(buf.length / pieces);
      let offset = 0;
      const next = (): void => {
        if (socket.destroyed) return;
        if (offset >= buf.length) {
          if (opts.end !== false) socket.end();
          return;
        }
        socket.write(buf.subarray(offset, offset + size));
        offset += size;
        setImmediate(next);
      };
      next();
    });
  });
}
