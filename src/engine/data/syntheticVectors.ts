// `synthetic-vectors`: a teacher-network task for MLPs. x ~ N(0, I_d), d = VECTOR_DIM; the label is the
// argmax of a fixed random teacher MLP d -> tanh(TEACHER_HIDDEN) -> 10, whose logits are offset per
// class (offsets fitted on a large sample) so the classes come out roughly balanced; then a fraction
// LABEL_NOISE of labels is replaced by a uniformly random class.
import type { Rng } from './random';

export const VECTOR_DIM = 64;
export const VECTOR_CLASSES = 10;
export const TEACHER_HIDDEN = 32;
/** Probability that a label is redrawn uniformly from the 10 classes (it may redraw the same class). */
export const LABEL_NOISE = 0.05;
/** Inputs used to estimate the teacher's mean logits, for balancing. */
const BALANCE_SAMPLE = 8192;
const BALANCE_ITERATIONS = 30;

export interface Teacher {
  /** [d, hidden] row-major, N(0, 1/d): pre-activations have unit variance. */
  w1: Float64Array;
  b1: Float64Array;
  /** [hidden, classes] row-major, N(0, 1/hidden). */
  w2: Float64Array;
  /** Per-class logit offset chosen so that the argmax classes are roughly balanced. */
  offset: Float64Array;
}

export function makeTeacher(rng: Rng): Teacher {
  const d = VECTOR_DIM;
  const hdn = TEACHER_HIDDEN;
  const k = VECTOR_CLASSES;
  const w1 = Float64Array.from({ length: d * hdn }, () => rng.normal() / Math.sqrt(d));
  const b1 = Float64Array.from({ length: hdn }, () => 0.5 * rng.normal());
  const w2 = Float64Array.from({ length: hdn * k }, () => rng.normal() / Math.sqrt(hdn));
  const teacher: Teacher = { w1, b1, w2, offset: new Float64Array(k) };
  balance(teacher, rng);
  return teacher;
}

/**
 * Sets the per-class offsets so that the argmax classes of a large sample are balanced: first minus the
 * mean logit, then a few multiplicative corrections of the offsets toward equal class frequencies.
 */
function balance(teacher: Teacher, rng: Rng): void {
  const k = VECTOR_CLASSES;
  const logits = new Float64Array(BALANCE_SAMPLE * k);
  const x = new Float64Array(VECTOR_DIM);
  const row = new Float64Array(k);
  for (let i = 0; i < BALANCE_SAMPLE; i++) {
    for (let j = 0; j < VECTOR_DIM; j++) x[j] = rng.normal();
    teacherLogits(teacher, x, row);
    logits.set(row, i * k);
  }
  const offset = new Float64Array(k);
  let spread = 0;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < BALANCE_SAMPLE; i++) offset[c] -= logits[i * k + c] / BALANCE_SAMPLE;
  }
  for (let i = 0; i < logits.length; i++) spread += (logits[i] + offset[i % k]) ** 2 / logits.length;
  const scale = Math.sqrt(spread);
  const counts = new Float64Array(k);
  for (let iter = 0; iter < BALANCE_ITERATIONS; iter++) {
    counts.fill(0);
    for (let i = 0; i < BALANCE_SAMPLE; i++) {
      for (let c = 0; c < k; c++) row[c] = logits[i * k + c] + offset[c];
      counts[argmax(row)]++;
    }
    // Over-represented classes lose offset, under-represented ones gain (log-ratio to the fair share).
    for (let c = 0; c < k; c++)
      offset[c] -= 0.2 * scale * Math.log((counts[c] + 1) / (BALANCE_SAMPLE / k + 1));
  }
  teacher.offset.set(offset);
}

/** Offset teacher logits of one input, written into `out`. */
export function teacherLogits(t: Teacher, x: ArrayLike<number>, out: Float64Array): void {
  const d = VECTOR_DIM;
  const hdn = TEACHER_HIDDEN;
  const k = VECTOR_CLASSES;
  out.set(t.offset);
  for (let h = 0; h < hdn; h++) {
    let a = t.b1[h];
    for (let j = 0; j < d; j++) a += x[j] * t.w1[j * hdn + h];
    const z = Math.tanh(a);
    for (let c = 0; c < k; c++) out[c] += z * t.w2[h * k + c];
  }
}

function argmax(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** n examples from the stream `rng`, prefix-stable like sampleImages. */
export function sampleVectors(teacher: Teacher, n: number, rng: Rng): { x: Float32Array; y: Int32Array } {
  const d = VECTOR_DIM;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  const logits = new Float64Array(VECTOR_CLASSES);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < d; j++) row[j] = rng.normal();
    // The label is the teacher's verdict on the stored (float32) input.
    teacherLogits(teacher, row, logits);
    y[i] = rng.uniform() < LABEL_NOISE ? rng.int(VECTOR_CLASSES) : argmax(logits);
  }
  return { x, y };
}
