// Diagnostic text and placement: gcc-style lines, line:column on odd inputs, paths, suggestions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic, loadSpecFile, loadSpecText, type SpecDiagnostic } from '../../../src/spec';
import { formatPath, pointerToSegments } from '../../../src/spec/paths';
import { closestMatch, editDistance } from '../../../src/spec/suggest';

describe('formatDiagnostic', () => {
  const d: SpecDiagnostic = {
    severity: 'error',
    message: 'unknown key "momentun" in optimizer; did you mean "momentum"?',
    path: 'optimizer.momentun',
    line: 5,
    column: 33,
    offset: 139,
    length: 10,
  };

  test('file:line:col: severity: message [path]', () => {
    assert.equal(
      formatDiagnostic('specs/a.wdlab.json', d),
      'specs/a.wdlab.json:5:33: error: unknown key "momentun" in optimizer; did you mean "momentum"? [optimizer.momentun]',
    );
  });

  test('no path suffix for the whole document; warnings say warning', () => {
    assert.equal(
      formatDiagnostic('a.json', { ...d, severity: 'warning', path: '', message: 'm' }),
      'a.json:5:33: warning: m',
    );
  });
});

describe('locations', () => {
  test('empty text is a syntax error at 1:1', () => {
    const { diagnostics, spec } = loadSpecText('');
    assert.equal(spec, undefined);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].path, '');
    assert.equal(`${diagnostics[0].line}:${diagnostics[0].column}`, '1:1');
    assert.match(diagnostics[0].message, /syntax error: value expected \(ValueExpected\)/);
  });

  test('CRLF line endings count one line per CRLF', () => {
    const text =
      '{\r\n  "name": "x",\r\n  "data": { "dataset": "synthetic-images" },\r\n  "model": { "arch": "mlp" },\r\n  "optimizer": { "type": "sgd", "lr": 0 }\r\n}\r\n';
    const [d] = loadSpecText(text).diagnostics;
    assert.equal(d.path, 'optimizer.lr');
    assert.equal(`${d.line}:${d.column}`, '5:39');
    assert.equal(text.slice(d.offset, d.offset + d.length), '0');
  });

  test('offsets and lengths cover the node (value) or the key', () => {
    const text =
      '{"name":"x","data":{"dataset":"cifar-10"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd","lrr":1}}';
    const [enumTypo, unknownKey] = loadSpecText(text).diagnostics;
    assert.equal(text.slice(enumTypo.offset, enumTypo.offset + enumTypo.length), '"cifar-10"');
    assert.equal(text.slice(unknownKey.offset, unknownKey.offset + unknownKey.length), '"lrr"');
    assert.equal(unknownKey.message, 'unknown key "lrr" in optimizer; did you mean "lr"?');
  });

  test('a default that breaks a rule is placed at the block the user wrote', () => {
    const text =
      '{"name":"x","data":{"dataset":"synthetic-images","trainSize":64},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"}}';
    const [d] = loadSpecText(text).diagnostics;
    assert.equal(d.path, 'data.trainSize', 'batchSize is the default 128, so point at trainSize');
    assert.equal(text.slice(d.offset, d.offset + d.length), '64');
  });

  test('several problems come back sorted by offset, all reported', () => {
    const text = [
      '{',
      '  "name": "several",',
      '  "data": { "dataset": "cifar-100", "trainSize": 0 },',
      '  "model": { "arch": "mlp", "widht": 2 },',
      '  "optimizer": { "type": "adam", "nesterov": true, "lr": "fast" }',
      '}',
    ].join('\n');
    const ds = loadSpecText(text).diagnostics;
    assert.deepEqual(
      ds.map((d) => [d.path, d.line, d.column]),
      [
        ['data.dataset', 3, 24],
        ['data.trainSize', 3, 50],
        ['model.widht', 4, 29],
        ['optimizer.nesterov', 5, 34],
        ['optimizer.lr', 5, 58],
      ],
    );
    const offsets = ds.map((d) => d.offset);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => a - b),
    );
    assert.match(ds[3].message, /nesterov is not an Adam parameter/);
    assert.equal(ds[4].message, 'optimizer.lr must be a number (got "fast")');
  });

  test('a required key missing inside a block points at its opening brace', () => {
    const text = '{"name":"x","data":{},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"}}';
    const [d] = loadSpecText(text).diagnostics;
    assert.equal(d.message, 'data is missing the required key "dataset"');
    assert.equal(d.offset, text.indexOf('{}'));
    assert.equal(d.length, 1);
  });

  test('an invalid value inside a swept object is placed at that object', () => {
    const text =
      '{"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd","lr":0.1},"sweep":{"optimizer":[{"type":"sgd"},{"type":"adam","momentum":0.5}]}}';
    const [d] = loadSpecText(text).diagnostics;
    assert.equal(d.path, 'sweep.optimizer[1]');
    assert.equal(text.slice(d.offset, d.offset + d.length), '{"type":"adam","momentum":0.5}');
    assert.match(d.message, /^momentum is not an Adam parameter/);
  });

  test('a name that is too long', () => {
    const name = 'n'.repeat(65);
    const [d] = loadSpecText(
      `{"name":"${name}","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"}}`,
    ).diagnostics;
    assert.equal(d.message, 'name must be at most 64 characters (got 65)');
  });

  test('a missing file throws a clear error', () => {
    assert.throws(
      () => loadSpecFile('/nonexistent/dir/x.wdlab.json'),
      /experiment spec not found: \/nonexistent/,
    );
  });
});

describe('paths and suggestions', () => {
  test('formatPath: dotted, bracketed keys, indices', () => {
    assert.equal(formatPath([]), '');
    assert.equal(formatPath(['optimizer', 'momentum']), 'optimizer.momentum');
    assert.equal(formatPath(['sweep', 'training.seed', 1]), 'sweep["training.seed"][1]');
    assert.equal(formatPath(['model', 'hidden', 0]), 'model.hidden[0]');
    assert.equal(formatPath(['odd key']), '["odd key"]');
  });

  test('pointerToSegments: array indices only inside arrays', () => {
    const data = { sweep: { 'a/b': [1, 2], '1': { x: 0 } } };
    assert.deepEqual(pointerToSegments('/sweep/a~1b/1', data), ['sweep', 'a/b', 1]);
    assert.deepEqual(pointerToSegments('/sweep/1/x', data), ['sweep', '1', 'x']);
    assert.deepEqual(pointerToSegments('', data), []);
  });

  test('edit distance and closest match', () => {
    assert.equal(editDistance('momentun', 'momentum'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(closestMatch('SGD', ['sgd', 'adam']), 'sgd');
    assert.equal(closestMatch('weightdecay', ['none', 'l2', 'weightDecay']), 'weightDecay');
    assert.equal(closestMatch('banana', ['sgd', 'adam']), undefined);
  });
});
