import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = `${root}test/fixtures/patching/`;

/** Part of the message of the project's rule against patching dependencies (eslint.config.js). */
const NO_PATCHING = "Never replace or reach into another package's internals";

/** `file:line` of every report of that rule, for the fixture's files (which the project's lint ignores). */
async function patchingReports(): Promise<{ reports: string[]; marked: string[] }> {
  const eslint = new ESLint({ cwd: root, ignore: false });
  const results = await eslint.lintFiles([`${fixture}src/*.ts`]);
  const reports: string[] = [];
  const marked: string[] = [];
  for (const result of results) {
    const file = relative(fixture, result.filePath);
    const fatal = result.messages.find((message) => message.fatal === true);
    assert.equal(fatal, undefined, `${file} must parse: ${fatal?.message ?? ''}`);
    for (const message of result.messages) if (message.message.includes(NO_PATCHING)) reports.push(`${file}:${String(message.line)}`);
    readFileSync(result.filePath, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (line.endsWith('// reported')) marked.push(`${file}:${String(index + 1)}`);
      });
  }
  return { reports: [...new Set(reports)].sort(), marked: marked.sort() };
}

test("the lint rule against patching dependencies reports require.cache, Module internals, prototype assignments and private module paths, and nothing else in the fixture", async () => {
  const { reports, marked } = await patchingReports();
  assert.ok(marked.length >= 6, 'the fixture marks what must be reported');
  assert.deepEqual(reports, marked);
});
