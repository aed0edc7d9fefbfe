/**
 * Writes schema/scw-gitops.schema.json from the field tables in src/desired/fields.ts.
 *
 *   npx tsx scripts/gen-schema.ts           # (re)write the file
 *   npx tsx scripts/gen-schema.ts --check   # exit 1 when the checked-in file is out of date
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSchemaFile, SCHEMA_FILE } from '../src/desired/json-schema.js';

export const schemaPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', SCHEMA_FILE);

export async function generateSchema(check: boolean): Promise<{ path: string; upToDate: boolean }> {
  const text = renderSchemaFile();
  const current = await readFile(schemaPath, 'utf8').catch(() => undefined);
  const upToDate = current === text;
  if (!check && !upToDate) await writeFile(schemaPath, text);
  return { path: schemaPath, upToDate };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const { path, upToDate } = await generateSchema(check);
  if (check && !upToDate) {
    process.stderr.write(`${path} is out of date; run: npx tsx scripts/gen-schema.ts\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${path} ${upToDate ? 'is up to date' : 'written'}\n`);
  }
}
