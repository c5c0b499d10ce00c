import * as tf from '@tensorflow/tfjs';
import { initRuntime } from '../../../../src/pipeline/runtime/backend.js';
import { GroupedAdam } from '../../../../src/pipeline/train/train-grouped-adam.js';
import { optimizerStateFiles, restoreOptimizerState, OPTIMIZER_BIN, OPTIMIZER_JSON } from '../../../../src/pipeline/train/train-optimizer-state.js';

/** Two variables and a fixed quadratic loss whose gradients differ per element. */
function problem(): { a: tf.Variable; b: tf.Variable; loss: () => tf.Scalar } {
  const a = tf.variable(tf.tensor1d([1, -2, 3]), true, `ga${Math.random()}`);
  const b = tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]), true, `gb${Math.random()}`);
  const loss = (): tf.Scalar =>
    tf.tidy(() => a.sub(tf.tensor1d([0.3, 0.1, -0.4])).square().sum().add(b.mul(tf.tensor2d([[1, 2], [3, 4]])).sin().sum()) as tf.Scalar);
  return { a, b, loss };
}

function steps(opt: tf.Optimizer, p: ReturnType<typeof problem>, n: number, lossFn = p.loss): void {
  for (let i = 0; i < n; i++) tf.dispose(opt.minimize(lossFn, true, [p.a, p.b]) as tf.Scalar);
}

const values = (p: ReturnType<typeof problem>): number[][] => [Array.from(p.a.dataSync()), Array.from(p.b.dataSync())];

describe('GroupedAdam [wasm]', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it('equals tfjs Adam with one group at scale 1', () => {
    const p = problem();
    const q = problem();
    const before = tf.memory().numTensors;
    const grouped = new GroupedAdam(0.05, [{ variables: [p.a, p.b], lrScale: 1 }]);
    const plain = tf.train.adam(0.05);
    steps(grouped, p, 4);
    steps(plain, q, 4);
    expect(values(p)).toEqual(values(q));
    grouped.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([p.a, p.b, q.a, q.b]);
  });

  it('gives each group its own rate and L2 decay (as two Adams would)', () => {
    const p = problem();
    const grouped = new GroupedAdam(0.05, [
      { variables: [p.a], lrScale: 0.5 },
      { variables: [p.b], lrScale: 1, weightDecay: 0.1 },
    ]);
    steps(grouped, p, 3);
    // Reference: Adam at 0.025 on a, and Adam at 0.05 on b with 0.05 * |b|^2 added to the loss (gradient 0.1 b).
    const q = problem();
    const onA = tf.train.adam(0.025);
    const onB = tf.train.adam(0.05);
    for (let i = 0; i < 3; i++) {
      const { grads } = tf.variableGrads(q.loss, [q.a, q.b]);
      const decayed = tf.tidy(() => (grads[q.b.name] as tf.Tensor).add(q.b.mul(0.1)));
      onA.applyGradients([{ name: q.a.name, tensor: grads[q.a.name] as tf.Tensor }]);
      onB.applyGradients([{ name: q.b.name, tensor: decayed }]);
      tf.dispose([...Object.values(grads), decayed]);
    }
    const [pa, pb] = values(p);
    const [qa, qb] = values(q);
    pa!.forEach((v, i) => expect(v).toBeCloseTo(qa![i]!, 6));
    pb!.forEach((v, i) => expect(v).toBeCloseTo(qb![i]!, 6));
    tf.dispose([p.a, p.b, q.a, q.b]);
    grouped.dispose();
    onA.dispose();
    onB.dispose();
  });

  it('restores from checkpoint files exactly: the next steps match the uninterrupted optimizer bit for bit', async () => {
    const p = problem();
    const groups = (v: ReturnType<typeof problem>) => [
      { variables: [v.a], lrScale: 0.5 },
      { variables: [v.b], lrScale: 1, weightDecay: 1e-2 },
    ];
    const first = new GroupedAdam(0.05, groups(p));
    steps(first, p, 3);
    const files = await optimizerStateFiles(first);
    const q = problem();
    q.a.assign(p.a);
    q.b.assign(p.b);
    const second = new GroupedAdam(0.05, groups(q));
    await restoreOptimizerState(second, files[OPTIMIZER_JSON] as string, files[OPTIMIZER_BIN] as Buffer, 'test');
    expect(second.getClassName()).toBe('MadenetGroupedAdam');
    steps(first, p, 2);
    steps(second, q, 2);
    expect(values(q)).toEqual(values(p));
    first.dispose();
    second.dispose();
    tf.dispose([p.a, p.b, q.a, q.b]);
  });

  it('refuses a gradient for a variable outside its groups', () => {
    const p = problem();
    const opt = new GroupedAdam(0.05, [{ variables: [p.a], lrScale: 1 }]);
    expect(() => steps(opt, p, 1)).toThrow(/none of its groups/);
    opt.dispose();
    tf.dispose([p.a, p.b]);
  });
});
