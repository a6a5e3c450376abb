// Failure reasons (runner/failures.ts): the WebAssembly runtime's out-of-memory errors get what to do; every
// other message passes through unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainFailure } from '../../../src/runner/failures';

describe('failure reasons', () => {
  test('wasm out-of-memory errors name the cause and what to change', () => {
    for (const raw of [
      'memory access out of bounds',
      'RuntimeError: Aborted(Out of memory)\n    at wasm://x',
    ]) {
      const reason = explainFailure(raw);
      assert.match(reason, /^the wasm backend ran out of its 32-bit WebAssembly memory/);
      assert.match(reason, /training\.batchSize or model\.width, or a GPU backend/);
      assert.ok(!reason.includes('\n'), 'one line');
    }
  });

  test('other messages are left as they are', () => {
    const raw = 'diverged at step 12 (training loss not finite)';
    assert.equal(explainFailure(raw), raw);
  });
});
