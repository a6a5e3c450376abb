// Input a JSON parser accepts but a spec must refuse, each with a located error: numbers beyond a 64-bit
// float (`1e400` parses as Infinity, and spec.json would store it as null) and nesting deep enough to
// overflow a recursive parser (20,000 levels crashed it with "Maximum call stack size exceeded").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSpecText } from '../../../src/spec';
import { MAX_NESTING } from '../../../src/spec/parse';

const base = {
  name: 'x',
  data: { dataset: 'synthetic-vectors' },
  model: { arch: 'mlp', hidden: [8] },
  optimizer: { type: 'sgd', lr: 0.1 },
};

describe('hostile spec input', () => {
  test('every non-finite number is an error at its own line:column and path, saying why', () => {
    const text = JSON.stringify(base, null, 2)
      .replace('"lr": 0.1', '"lr": 1e400')
      .replace('"hidden": [\n      8\n    ]', '"hidden": [-1e999]');
    const { diagnostics, trials } = loadSpecText(text);
    assert.equal(trials.length, 0);
    const nonFinite = diagnostics.filter((d) => d.message.startsWith('not a finite number'));
    assert.deepEqual(
      nonFinite.map((d) => [d.path, text.slice(d.offset, d.offset + d.length)]),
      [
        ['model.hidden[0]', '-1e999'],
        ['optimizer.lr', '1e400'],
      ],
    );
    const lr = nonFinite.find((d) => d.path === 'optimizer.lr')!;
    assert.equal(text.split('\n')[lr.line - 1].indexOf('1e400') + 1, lr.column);
    assert.match(lr.message, /1e400 is beyond the range of a 64-bit float .* reads as Infinity/);
    // No message says "null" for a number.
    assert.ok(
      diagnostics.every((d) => !/\bnull\b/.test(d.message)),
      diagnostics.map((d) => d.message).join('\n'),
    );
  });

  test('the same values written in range are accepted (the check is on finiteness, not size)', () => {
    const text = JSON.stringify({ ...base, optimizer: { type: 'sgd', lr: 1e-300 } });
    assert.deepEqual(
      loadSpecText(text).diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
  });

  test(`nesting deeper than ${MAX_NESTING} levels is one located error, even 100,000 levels deep`, () => {
    for (const depth of [MAX_NESTING + 1, 100_000]) {
      const text = `{"name": "x", "description": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const { diagnostics } = loadSpecText(text);
      assert.equal(diagnostics.length, 1, diagnostics.map((d) => d.message).join('\n'));
      assert.match(diagnostics[0].message, new RegExp(`nesting deeper than ${MAX_NESTING} levels`));
      // At the bracket that opens level MAX_NESTING + 1 (the spec's own brace is level 1).
      assert.equal(diagnostics[0].offset, text.indexOf('[') + MAX_NESTING - 1);
    }
    const fine = `{"name": "x", "description": ${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}}`;
    assert.ok(loadSpecText(fine).diagnostics.every((d) => !d.message.startsWith('nesting')));
  });
});
