// `wdlab metrics [--markdown]`: what every key of metrics.jsonl means, from the metric registry
// (src/protocol/metrics.ts). The README's metric table is this command's --markdown output, between
// its metric-table markers (test/unit/cli/metricTable.test.ts keeps them equal).
import { METRIC_FAMILIES, METRICS, type MetricDef } from '../protocol/metrics';
import { formatTable } from './table';

const keyOf = (d: MetricDef): string => (d.perLayer ? `${d.stem}/<layer>` : d.stem);
const familyTitle = (d: MetricDef): string => METRIC_FAMILIES.find((f) => f.id === d.family)!.title;
const whenOf = (d: MetricDef): string => (d.only ? `${d.when} (${d.only})` : d.when);

/** The README's metric table: key, meaning, paper section (docs/science.md), when logged (units: `wdlab metrics`). */
export function metricTableMarkdown(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const rows = METRICS.map((d) => {
    const theory = d.theory ? ` (dashed: \`theory/${keyOf(d)}\`)` : '';
    return `| \`${keyOf(d)}\` | ${cell(d.formula)}${cell(theory)} | ${d.section} | ${cell(whenOf(d))} |`;
  });
  return ['| key | meaning | paper | logged |', '|---|---|---|---|', ...rows].join('\n');
}

/** The same registry as a terminal table, grouped by chart section. */
export function metricTableText(): string {
  return formatTable(
    ['key', 'section', 'paper', 'unit', 'logged', 'meaning'],
    METRICS.map((d) => [keyOf(d), familyTitle(d), d.section, d.unit, whenOf(d), d.formula]),
  );
}

export function metricsCommand(args: string[], markdown: boolean): number {
  if (args.length > 0) throw new Error(`metrics takes no arguments (got "${args.join(' ')}")`);
  console.log(markdown ? metricTableMarkdown() : metricTableText());
  return 0;
}
