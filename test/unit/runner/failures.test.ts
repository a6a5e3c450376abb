// Failure reasons (runner/failures.ts): the WebAssembly runtime's out-of-memory errors get what to do; every
// other message passes through unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainFailure, isEngineNoise } from '../../../src/runner/failures';

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

describe('native engine start-up lines', () => {
  test("TensorFlow's and Dawn's start-up lines are noise; their errors and the trainer's are not", () => {
    // As libtensorflow 2.21 printed them when the tfjs-node binding loaded here.
    for (const line of [
      'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
      'I0000 00:00:1796230430.754456    5546 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.',
      'I0000 00:00:1796230430.797018    5546 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions.',
      'To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.',
      // Dawn while auto probes for a GPU, as the webgpu package 0.6.2 printed them here.
      "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory",
      '    at operator() (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)',
      'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.',
    ])
      assert.ok(isEngineNoise(line), line);
    for (const line of [
      'E0000 00:00:1796230430.1 5546 op_kernel.cc:1830] OP_REQUIRES failed at conv_ops.cc:1035 : RESOURCE_EXHAUSTED: OOM',
      'Error: no usable backend for "tensorflow"',
      'I am not a log line',
      '    at train (/work/main/dist/trainer.js:120:5)',
    ])
      assert.ok(!isEngineNoise(line), line);
  });
});
