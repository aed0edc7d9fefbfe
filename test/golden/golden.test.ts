/** Golden plan tests: see run-case.ts for the case layout. `UPDATE_GOLDEN=1` rewrites expectations. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlanJson, renderPlanJson } from '../../src/render/json.js';
import { renderPlanMarkdown } from '../../src/render/markdown.js';
import { renderPlanText } from '../../src/render/text.js';
import { runCase } from './run-case.js';

const CASES = join(import.meta.dirname, 'cases');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const names = existsSync(CASES) ? readdirSync(CASES).sort() : [];

describe('golden plans', () => {
  it('has cases', () => {
    expect(names.length).toBeGreaterThan(0);
  });
  for (const name of names) {
    it(name, async () => {
      const dir = join(CASES, name);
      const plan = await runCase(dir);
      const outputs: Record<string, string> = {
        'plan.txt': renderPlanText(plan),
        'plan.json': renderPlanJson(plan),
        'plan.md': renderPlanMarkdown(plan),
      };
      // The saved form reads back to the same plan.
      expect(renderPlanJson(parsePlanJson(outputs['plan.json']!))).toBe(outputs['plan.json']);
      for (const [file, text] of Object.entries(outputs)) {
        const path = join(dir, file);
        if (UPDATE || !existsSync(path)) {
          if (!UPDATE) throw new Error(`${name}/${file} is missing; run with UPDATE_GOLDEN=1 and review it`);
          writeFileSync(path, text);
          continue;
        }
        expect(text, `${name}/${file}`).toBe(readFileSync(path, 'utf8'));
      }
    });
  }
});
