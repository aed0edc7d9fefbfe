/** Test helpers for the sandbox suites: start an emulator and call it with plain fetch. */
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../../src/sandbox/server.js';

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const TS_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export const ACCESS_KEY = /^SCW[0-9A-HJKMNP-TV-Z]{17}$/;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are inspected field by field in tests
  json: any;
}

export interface Api {
  h: SandboxHandle;
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<Reply>;
  get(path: string): Promise<Reply>;
  post(path: string, body?: unknown): Promise<Reply>;
  patch(path: string, body: unknown): Promise<Reply>;
  put(path: string, body: unknown): Promise<Reply>;
  del(path: string): Promise<Reply>;
  org: string;
}

export async function openSandbox(opts: SandboxOptions = {}): Promise<Api> {
  const h = await startSandbox({ env: {}, ...opts });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<Reply> => {
    const headers: Record<string, string> = {};
    const tok = token === undefined ? h.adminSecretKey : token;
    if (tok !== null) headers['X-Auth-Token'] = tok;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(h.url + path, {
      method,
      headers,
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    h,
    org: h.organizationId,
    call,
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b ?? {}),
    patch: (p, b) => call('PATCH', p, b),
    put: (p, b) => call('PUT', p, b),
    del: (p) => call('DELETE', p),
  };
}
