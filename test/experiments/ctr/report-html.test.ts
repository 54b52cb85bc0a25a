import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickJoin } from '../../../src/experiments/ctr/click-join.js';
import { buildCtrReport } from '../../../src/experiments/ctr/ctr-report.js';
import { formatCtrHtml } from '../../../src/experiments/ctr/report-html.js';
import { parseWeights } from '../../../src/experiments/ctr/weights.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1);
const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);
/** SVG elements written self-closed (`<line ... />`). */
const SELF_CLOSED = /\/>$/;

function html(armName = 'challenger'): string {
  const join = new ClickJoin({ windowMs: 24 * HOUR, arms: ['champion', armName] });
  for (const arm of ['champion', armName]) {
    for (let index = 0; index < 400; index++) {
      const requestId = `${arm}-${index}`;
      // Two days of traffic, with a gap of 6 hours in the challenger's.
      const time = T0 + index * 7 * 60_000;
      if (arm !== 'champion' && time > T0 + 20 * HOUR && time < T0 + 26 * HOUR) continue;
      join.addImpression({ requestId, arm, unit: `${arm}-u${index % 50}`, time });
      if (index % (arm === 'champion' ? 25 : 20) === 0) join.addClick({ requestId, time: time + 1000 });
    }
  }
  // Weights need plain arm names; the escaping test's arm has none.
  const weights = parseWeights(`champion=50,${armName}=50`);
  return formatCtrHtml(buildCtrReport({ join: join.result(), weights: 'weights' in weights ? weights.weights : undefined, champion: 'champion' }));
}

/** Checks that every element is closed in order; returns the element names seen. */
function checkWellFormed(text: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  for (const match of text.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const [tag, closing = '', name = '', rest = ''] = match;
    const element = name.toLowerCase();
    seen.push(element);
    if (closing === '/') {
      assert.equal(stack.pop(), element, `</${element}> closes <${stack.at(-1) ?? 'nothing'}>`);
    } else if (!VOID.has(element) && !SELF_CLOSED.test(tag) && !rest.endsWith('/')) {
      stack.push(element);
    }
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  return seen;
}

test('the HTML report is well-formed: every element closed in order, one html/head/body', () => {
  const text = html();
  assert.ok(text.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  const elements = checkWellFormed(text.replace(/<!DOCTYPE[^>]*>/, ''));
  for (const element of ['html', 'head', 'body', 'style']) assert.equal(elements.filter((name) => name === element).length, 2, element);
  assert.equal(elements.filter((name) => name === 'svg').length, 2); // the chart: <svg> and </svg>
});

test('the HTML report is self-contained: no URLs, scripts, external styles or images', () => {
  const text = html();
  assert.doesNotMatch(text, /https?:/i);
  assert.doesNotMatch(text, /\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
  assert.doesNotMatch(text, /<script|<link|<img|<iframe|@import|url\(/i);
  assert.doesNotMatch(text, /\s(src|href)=/i);
});

test('the chart draws each arm: a band and a line per run of buckets, split where an arm has no impressions', () => {
  const text = html();
  const svg = /<svg[\s\S]*<\/svg>/.exec(text)?.[0] ?? '';
  // Champion: one run; challenger: two runs around its 6-hour gap.
  assert.equal((svg.match(/<polyline /g) ?? []).length, 3);
  assert.equal((svg.match(/<polygon /g) ?? []).length, 3);
  assert.match(svg, /<title>champion 2024-05-01T00:00:00.000Z: CTR /);
  assert.doesNotMatch(svg, /NaN/);
});

test('text from the data is escaped', () => {
  const text = html('<b>"x" & y</b>');
  assert.match(text, /&#60;b&#62;&#34;x&#34; &#38; y&#60;\/b&#62;/);
  assert.doesNotMatch(text, /<b>"x"/);
  checkWellFormed(text.replace(/<!DOCTYPE[^>]*>/, ''));
});
