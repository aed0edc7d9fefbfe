/**
 * Test-wide guard: any attempt to open a TCP connection to a host that is not on
 * loopback fails loudly. Tests talk only to emulators bound to 127.0.0.1.
 */
import net from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

// Installed once per worker: test files share a worker (and this module) when not isolated.
const GUARD = Symbol.for('scw-gitops.test.no-external-network');
const proto = net.Socket.prototype as net.Socket & { [GUARD]?: true };
const originalConnect = net.Socket.prototype.connect;
if (!proto[GUARD]) {
  proto[GUARD] = true;
  // biome-ignore lint/suspicious/noExplicitAny: variadic Node overloads
  net.Socket.prototype.connect = function patchedConnect(this: net.Socket, ...args: any[]) {
    const first = args[0];
    let host: string | undefined;
    if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
      if ('path' in first && first.path) return originalConnect.apply(this, args as never);
      host = first.host ?? 'localhost';
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      host = typeof args[1] === 'string' ? args[1] : 'localhost';
    } else if (typeof first === 'string') {
      // unix socket path
      return originalConnect.apply(this, args as never);
    }
    if (host !== undefined && !LOOPBACK.test(host)) {
      throw new Error(`test network guard: connection to non-loopback host ${host} refused`);
    }
    return originalConnect.apply(this, args as never);
  } as typeof net.Socket.prototype.connect;
}
