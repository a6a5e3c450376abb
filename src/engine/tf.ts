// The one place the engine imports TensorFlow.js from. tfjs-core alone registers no gradients and no
// chained ops (docs/engines.md); importing them here, once, guarantees every engine module sees them.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

export { tf };
