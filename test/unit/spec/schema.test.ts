// Schema hygiene: the schema is what VS Code shows as IntelliSense, so every field must explain itself,
// and its defaults, examples and snippets must be valid specs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import { experimentSchema, loadSpecText, SCHEMA_PATH_FROM_ROOT, sweepablePaths } from '../../../src/spec';
import { NOT_SWEEPABLE, type SchemaNode, variantsOf } from '../../../src/spec/schema';
import { ROOT } from './fixtures';

interface Field {
  path: string;
  pointer: string;
  schema: SchemaNode;
}

/** Every property schema under the root, with its dotted path and JSON pointer. */
function fields(schema: SchemaNode, path = '', pointer = '#'): Field[] {
  const out: Field[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const p = path ? `${path}.${key}` : key;
    const ptr = `${pointer}/properties/${key}`;
    out.push({ path: p, pointer: ptr, schema: sub });
    out.push(...fields(sub, p, ptr));
  }
  return out;
}

const all = fields(experimentSchema);
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(experimentSchema as object, 'root');
const at = (pointer: string) => {
  const validate = ajv.getSchema(`root${pointer}`);
  assert.ok(validate, pointer);
  return validate;
};

/** A spec text with VS Code snippet placeholders `${1:text}` replaced by their text. */
const unsnippet = (body: unknown) => JSON.stringify(body).replace(/\$\{\d+:([^}]*)\}/g, '$1');

describe('schema hygiene', () => {
  test('is draft-07 and the file the extension contributes', () => {
    assert.equal(experimentSchema.$schema, 'http://json-schema.org/draft-07/schema#');
    const onDisk = JSON.parse(readFileSync(join(ROOT, SCHEMA_PATH_FROM_ROOT), 'utf8'));
    assert.deepEqual(onDisk, experimentSchema);
  });

  test('required keys are exactly name, data.dataset, model.arch, optimizer.type', () => {
    const p = experimentSchema.properties!;
    assert.deepEqual(experimentSchema.required, ['name', 'data', 'model', 'optimizer']);
    assert.deepEqual(p.data.required, ['dataset']);
    assert.deepEqual(p.model.required, ['arch']);
    assert.deepEqual(p.optimizer.required, ['type']);
  });

  test('every property has a description, and every leaf examples', () => {
    assert.ok(all.length > 70);
    for (const { path, schema } of all) {
      assert.ok(
        typeof schema.description === 'string' && schema.description.length > 10,
        `${path}: description`,
      );
      if (!schema.properties) assert.ok((schema.examples ?? []).length > 0, `${path}: examples`);
    }
  });

  test('every enum has one enumDescription per value', () => {
    const enums = all.filter((f) => f.schema.enum);
    assert.ok(enums.length >= 7);
    for (const { path, schema } of enums) {
      assert.equal(schema.enumDescriptions?.length, schema.enum?.length, path);
    }
  });

  test('every object forbids unknown keys', () => {
    for (const { path, schema } of [{ path: '', schema: experimentSchema }, ...all]) {
      if (schema.properties) assert.equal(schema.additionalProperties, false, path || 'root');
    }
  });

  test('defaults and examples are valid values of their field', () => {
    for (const { path, pointer, schema } of all) {
      const validate = at(pointer);
      if (schema.default !== undefined) assert.ok(validate(schema.default), `${path} default`);
      for (const example of schema.examples ?? []) {
        assert.ok(
          validate(example),
          `${path} example ${JSON.stringify(example)}: ${ajv.errorsText(validate.errors)}`,
        );
      }
    }
  });

  test('fields cite the paper where the science defines them', () => {
    const cited = all.filter((f) => f.schema.markdownDescription?.includes('science: Section'));
    for (const path of ['regularization.type', 'optimizer.type', 'model.batchNorm', 'data.augment']) {
      assert.ok(
        cited.some((f) => f.path === path),
        path,
      );
    }
  });

  test('the starter snippet is a valid spec and the sweep snippets are valid sweeps', () => {
    const [starter] = (experimentSchema.defaultSnippets ?? []) as { body: unknown }[];
    const result = loadSpecText(unsnippet(starter.body));
    assert.deepEqual(result.diagnostics, []);
    const sweepSnippets = (experimentSchema.properties?.sweep.defaultSnippets ?? []) as { body: unknown }[];
    assert.ok(sweepSnippets.length >= 1);
    for (const snippet of sweepSnippets) {
      const spec = { ...(starter.body as object), name: 'x', sweep: snippet.body };
      const r = loadSpecText(unsnippet(spec));
      assert.deepEqual(r.diagnostics, []);
      assert.ok(r.trials.length > 1);
    }
  });

  test('the sweep lists every field but name, description and sweep, each by $ref', () => {
    const derived = all
      .filter((f) => !f.path.startsWith('sweep') && !(f.path in NOT_SWEEPABLE))
      .map((f) => f.path)
      .sort();
    assert.deepEqual([...sweepablePaths()].sort(), derived);
    for (const path of sweepablePaths()) {
      const entry = experimentSchema.properties!.sweep.properties![path];
      const field = all.find((f) => f.path === path)!;
      assert.equal(entry.items?.$ref, field.pointer, path);
      assert.equal(entry.minItems, 1, path);
    }
  });

  test('each optimizer and schedule type has one variant whose fields exist', () => {
    for (const block of ['optimizer', 'schedule']) {
      const schema = experimentSchema.properties![block];
      const variants = variantsOf(schema);
      assert.deepEqual(
        variants.map((v) => v.value),
        schema.properties!.type.enum,
        block,
      );
      for (const v of variants) {
        assert.equal(v.fields[0], 'type');
        for (const f of v.fields) assert.ok(f in schema.properties!, `${block}.${v.value}.${f}`);
      }
    }
  });
});

test('src/spec never imports vscode or TensorFlow', () => {
  const dir = join(ROOT, 'src/spec');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 10);
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.doesNotMatch(text, /from ['"](vscode|@tensorflow\/)/, file);
  }
});
