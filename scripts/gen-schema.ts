/**
 * Writes schema/scw-gitops.schema.json and schema/REFERENCE.md from the field tables in
 * src/desired/fields.ts.
 *
 *   npx tsx scripts/gen-schema.ts           # (re)write the file
 *   npx tsx scripts/gen-schema.ts --check   # exit 1 when the checked-in file is out of date
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSchemaFile, SCHEMA_FILE } from '../src/desired/json-schema.js';
import { renderReference } from '../src/desired/reference.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const schemaPath = resolve(repo, SCHEMA_FILE);
export const referencePath = resolve(repo, 'schema', 'REFERENCE.md');

export interface GeneratedFile {
  readonly path: string;
  readonly upToDate: boolean;
}

/** Writes (or with `check`, only compares) every generated file. */
export async function generateSchema(check: boolean): Promise<GeneratedFile[]> {
  const out: GeneratedFile[] = [];
  for (const [path, text] of [
    [schemaPath, renderSchemaFile()],
    [referencePath, renderReference()],
  ] as const) {
    const current = await readFile(path, 'utf8').catch(() => undefined);
    const upToDate = current === text;
    if (!check && !upToDate) await writeFile(path, text);
    out.push({ path, upToDate });
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  for (const { path, upToDate } of await generateSchema(check)) {
    if (check && !upToDate) {
      process.stderr.write(`${path} is out of date; run: npx tsx scripts/gen-schema.ts\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${path} ${upToDate ? 'is up to date' : 'written'}\n`);
    }
  }
}
