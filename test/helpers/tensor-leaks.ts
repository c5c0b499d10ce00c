// Tensor-leak checks for tfjs tests: the live tensor count after some work equals the count before it (the
// habit of tfjs-models' tests). Not a memory profiler: it counts tensors, not bytes.
import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';

/** Runs `fn`, expects it to leave the tensor count as it found it, and returns what `fn` returned. */
export function expectNoLeak<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  const out = fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** The async expectNoLeak: awaits `fn` and expects the tensor count as before it; returns what `fn` resolved to. */
export async function expectNoLeakAsync<T>(fn: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/**
 * Runs `step` `steps` times and expects no tensor to leak per step: the count after the first step (which may
 * make an optimizer's slots) holds through the last, and on cpu (run with a slot-free optimizer) equals the count
 * before. Returns the steps' results and the count after the first step.
 */
export async function runStepsWithoutLeaks<T>(steps: number, backend: string, step: () => Promise<T>): Promise<{ results: T[]; afterFirst: number }> {
  const start = tf.memory().numTensors;
  const results: T[] = [];
  let afterFirst = -1;
  for (let i = 0; i < steps; i++) {
    results.push(await step());
    if (i === 0) afterFirst = tf.memory().numTensors;
  }
  if (backend === 'cpu') expect(afterFirst).toBe(start);
  expect(tf.memory().numTensors).toBe(afterFirst);
  return { results, afterFirst };
}
