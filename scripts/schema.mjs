// `npm run schema`: writes the optimizer part of schemas/experiment.schema.json from the optimizer
// descriptors (src/spec/optimizers/): the `type` enum and its descriptions, and one variant per optimizer
// (its fields and lr default). `--check` exits 1 when the file differs (test/unit/spec/optimizerRegistry
// .test.ts checks the same in the unit tests).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(tmpdir(), `wdlab-schema-${process.pid}.mjs`);
await esbuild.build({
  entryPoints: [join(root, 'src/spec/optimizers/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  logLevel: 'warning',
});
const { optimizerSchemaFragment } = await import(pathToFileURL(out).href);
rmSync(out);

const file = join(root, 'schemas/experiment.schema.json');
const before = readFileSync(file, 'utf8');
const schema = JSON.parse(before);
const optimizer = schema.properties.optimizer;
const fragment = optimizerSchemaFragment();
optimizer.properties.type.enum = fragment.enum;
optimizer.properties.type.enumDescriptions = fragment.enumDescriptions;
optimizer.properties.type.examples = fragment.enum;
optimizer.allOf = fragment.allOf;
const after = `${JSON.stringify(schema, null, 2)}\n`;
if (process.argv.includes('--check')) {
  if (JSON.stringify(JSON.parse(before)) !== JSON.stringify(schema)) {
    console.error(
      'schemas/experiment.schema.json is out of date with src/spec/optimizers/: run npm run schema',
    );
    process.exit(1);
  }
  console.log('schemas/experiment.schema.json matches the optimizer descriptors');
} else {
  writeFileSync(file, after);
  console.log(`wrote ${fragment.enum.length} optimizers into schemas/experiment.schema.json`);
}
