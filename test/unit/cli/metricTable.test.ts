// The README's metric table is the metric registry's (src/protocol/metrics.ts), rendered by `wdlab metrics
// --markdown`: when a metric is added or its meaning changes, this fails until `npm run docs:metrics` has
// rewritten the table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { metricTableMarkdown } from '../../../src/cli/metrics';
import { METRICS } from '../../../src/protocol/metrics';
import { repoRoot } from '../../helpers/backend';

test("the README's metric table is the registry's (npm run docs:metrics writes it)", () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const section = /<!-- metric-table:start -->\n([\s\S]*?)\n<!-- metric-table:end -->/.exec(readme);
  assert.ok(section, 'README.md has its metric-table markers');
  assert.equal(section[1], metricTableMarkdown());
  // One row per registered metric, each key written as it appears in metrics.jsonl.
  for (const d of METRICS)
    assert.ok(section[1].includes(`| \`${d.perLayer ? `${d.stem}/<layer>` : d.stem}\` |`), d.stem);
});
