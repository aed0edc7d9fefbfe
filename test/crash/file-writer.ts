/**
 * Child process for file-sink-crash.test.ts: rewrites one record in a file sink forever,
 * alternating between two access keys (values from the environment, test-only), and says
 * `ready` on stdout after the first complete write. The test SIGKILLs it mid-stream.
 */
import { Secret } from '../../src/model/secret.js';
import { createFileSink } from '../../src/sinks/file-sink.js';

const dir = process.env.WRITER_DIR;
const records = [0, 1].map((i) => ({
  accessKey: process.env[`WRITER_AK_${i}`] ?? '',
  secret: process.env[`WRITER_SK_${i}`] ?? '',
}));
if (!dir || records.some((r) => !r.accessKey || !r.secret)) {
  process.stderr.write('file-writer: missing environment\n');
  process.exit(2);
}
const sink = createFileSink({
  name: 'local',
  type: 'file',
  dir,
  format: process.env.WRITER_FORMAT === 'json' ? 'json' : 'dotenv',
});
const location = { sink: 'local', path: 'key.env' };
let n = 0;
for (;;) {
  const r = records[n % 2]!;
  await sink.write(location, {
    accessKey: r.accessKey,
    secretKey: new Secret(r.secret),
    metadata: {
      keyName: 'key',
      accessKey: r.accessKey,
      expiresAt: null,
      deliveredAt: new Date().toISOString(),
      // Padding so a write is more than one page and a torn write would show.
      revision: 'x'.repeat(16_384),
    },
  });
  if (n === 0) process.stdout.write('ready\n');
  n++;
}
