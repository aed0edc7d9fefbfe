// One GET to a local server and exit, five ways, to measure what the HTTP client costs a one-shot
// command from start to exit (bench/scenarios/startup.ts):
//   fetch                 the global fetch (undici, WebAssembly llhttp compiled in the background)
//   fetch-no-tier-up      the same with V8's --no-wasm-tier-up set at the entry point
//   fetch-liftoff-only    the same with --liftoff-only (baseline compiler only)
//   node-http             node:http with a keep-alive agent
//   ky-node-http          ky over node:http (what the Scaleway transport does)
// node bench/children/http-startup.mjs MODE URL
import v8 from 'node:v8';

const [mode, url] = process.argv.slice(2);
if (mode === 'fetch-no-tier-up') v8.setFlagsFromString('--no-wasm-tier-up');
if (mode === 'fetch-liftoff-only') v8.setFlagsFromString('--liftoff-only');

const target = `${url}/iam/v1alpha1/applications?page=1&page_size=1`;
const headers = { 'X-Auth-Token': process.env.BENCH_TOKEN ?? '' };

if (mode.startsWith('fetch')) {
  const res = await fetch(target, { headers });
  await res.json();
} else if (mode === 'node-http') {
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, timeout: 4000 });
  await new Promise((resolve, reject) => {
    http
      .get(target, { agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
} else if (mode === 'ky-node-http') {
  const { default: ky } = await import('ky');
  const { nodeHttpFetch } = await import('../../dist/scaleway/node-http-fetch.js');
  const client = ky.create({ fetch: nodeHttpFetch, retry: 0, timeout: false, throwHttpErrors: false });
  await (await client.get(target, { headers })).json();
} else {
  throw new Error(`unknown mode ${mode}`);
}
