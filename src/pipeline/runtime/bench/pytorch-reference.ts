// The PyTorch twin of the reference U-Net, as Python source that the engine benchmark writes to a temporary
// file and runs when python3 with torch is present. Kept as a string so that it ships inside dist/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PYTORCH_UNET_SCRIPT = String.raw`#!/usr/bin/env python3
"""PyTorch twin of madenet's reference U-Net (src/pipeline/runtime/bench/reference-unet.ts) for the engine
benchmark's tfjs/PyTorch ratio. Written out by madenet from pytorch-reference.ts; prints one JSON object."""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    layers = []
    for i in range(2):
        layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False),
                   nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class Unet(nn.Module):
    widths = (16, 32, 64, 128)

    def __init__(self):
        super().__init__()
        w = self.widths
        self.down = nn.ModuleList([block(3 if i == 0 else w[i - 1], w[i]) for i in range(len(w))])
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in reversed(range(len(w) - 1))])
        self.dec = nn.ModuleList([block(2 * w[i], w[i]) for i in reversed(range(len(w) - 1))])
        self.head = nn.Conv2d(w[0], 3, 1)

    def forward(self, x):
        skips = []
        for i, b in enumerate(self.down):
            x = b(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), skips.pop()], 1))
        return self.head(x)


def median_ms(fn, warmup, reps):
    """Median wall and process-CPU milliseconds (CPU time resists a shared, loaded machine)."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu), wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--reps', type=int, default=10)
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--size', type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Unet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n, s = args.batch, args.size
    yy = torch.linspace(0, 1, s).view(1, 1, s, 1)
    xx = torch.linspace(0, 1, s).view(1, 1, 1, s)
    phase = (torch.arange(n * 3, dtype=torch.float32) * 0.7).view(n, 3, 1, 1)
    x = torch.sin(yy * 9 + xx * 5 + phase) * 0.5 + 0.5

    def step():
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), x)
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        model.eval()
        with torch.no_grad():
            return model(x)[0, 0, 0, 0].item()

    train_ms, train_cpu, train_all = median_ms(step, args.warmup, args.reps)
    infer_ms, infer_cpu, infer_all = median_ms(infer, args.warmup, args.reps)
    print(json.dumps({
        'engine': 'pytorch', 'torch': torch.__version__, 'python': sys.version.split()[0], 'threads': torch.get_num_threads(),
        'params': sum(p.numel() for p in model.parameters() if p.requires_grad),
        'unetTrainStepMs': round(train_ms, 2), 'unetInferMs': round(infer_ms, 2),
        'unetTrainStepCpuMs': round(train_cpu, 2), 'unetInferCpuMs': round(infer_cpu, 2),
        'trainStepMsAll': [round(t, 1) for t in train_all], 'inferMsAll': [round(t, 1) for t in infer_all],
    }))


if __name__ == '__main__':
    main()
`;

/** glibc settings that stop PyTorch paying page faults on every step in these VMs (about halves a step). */
export const PYTORCH_MALLOC_ENV: Record<string, string> = {
  MALLOC_MMAP_THRESHOLD_: '33554432',
  MALLOC_TRIM_THRESHOLD_: '100000000000',
  MALLOC_TOP_PAD_: '1000000000',
};

export interface PytorchBench {
  torch: string;
  python: string;
  threads: number;
  params: number;
  unetTrainStepMs: number;
  unetInferMs: number;
  unetTrainStepCpuMs: number;
  unetInferCpuMs: number;
  env: Record<string, string>;
}

export type PytorchOutcome = { ok: true; result: PytorchBench } | { ok: false; reason: string };

/**
 * The interpreter to use: MADENET_PYTHON when set, else the first of python3 on PATH and /usr/bin/python3 that
 * imports torch (Debian's python3-torch lives under the system interpreter); or why there is none.
 */
export function findTorchPython(): { python: string } | { reason: string } {
  const env = process.env.MADENET_PYTHON;
  const candidates = env ? [env] : ['python3', '/usr/bin/python3'];
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (probe.error) reasons.push(`${candidate} not found`);
    else if (probe.status !== 0) reasons.push(`${candidate} has no torch (${lastLine(probe.stderr)})`);
    else return { python: candidate };
  }
  return { reason: reasons.join('; ') };
}

export function runPytorchUnet(opts: { python: string; threads: number; reps: number; warmup: number; timeoutMs?: number }): PytorchOutcome {
  if (!Number.isInteger(opts.threads) || opts.threads < 1) return { ok: false, reason: `PyTorch needs a positive thread count; got ${opts.threads}` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'madenet-torch-'));
  const script = path.join(dir, 'unet_reference.py');
  try {
    fs.writeFileSync(script, PYTORCH_UNET_SCRIPT);
    const args = [script, '--threads', String(opts.threads), '--reps', String(opts.reps), '--warmup', String(opts.warmup)];
    const run = spawnSync(opts.python, args, {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 600_000,
      env: { ...process.env, ...PYTORCH_MALLOC_ENV, OMP_NUM_THREADS: String(opts.threads) },
    });
    if (run.error) return { ok: false, reason: `PyTorch run failed: ${run.error.message}` };
    if (run.status !== 0) return { ok: false, reason: `PyTorch run exited ${run.status}: ${lastLine(run.stderr)}` };
    const parsed = JSON.parse(lastLine(run.stdout)) as Omit<PytorchBench, 'env'>;
    return { ok: true, result: { ...parsed, env: PYTORCH_MALLOC_ENV } };
  } catch (e) {
    return { ok: false, reason: `PyTorch output unreadable: ${(e as Error).message}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
