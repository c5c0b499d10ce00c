#!/usr/bin/env python3
"""PyTorch side of `bench/infer/run.ts`: loads madenet ONNX files with onnx_torch.py, checks every mode's outputs
against onnxruntime's (saved by the Node runner as .npy) and times the forward pass. Prints one JSON object.

  python3 bench/pytorch/routed-bench.py --dir DIR --models sfad,lpd [--modes eager,fold,jit] [--reps 5]

DIR holds <model>.onnx, <model>.input.npy ([N,S,S,3] float32) and <model>.<output>.npy per graph output."""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_torch  # noqa: E402

MALLOC_VARS = ('MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_')


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--models', required=True)
    ap.add_argument('--modes', default='eager,fold,jit')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--tolerance', type=float, default=1e-4, help='max |torch - ort| <= tolerance * max(1, max |ort|)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    for name in args.models.split(','):
        path = os.path.join(args.dir, f'{name}.onnx')
        outputs = [o.name for o in onnx.load(path, load_external_data=False).graph.output]
        images = np.load(os.path.join(args.dir, f'{name}.input.npy'))
        refs = {o: np.load(os.path.join(args.dir, f'{name}.{o}.npy')) for o in outputs}
        x = torch.from_numpy(images)
        for mode in args.modes.split(','):
            t0 = time.perf_counter()
            net = onnx_torch.load(path, mode, x)
            load_ms = (time.perf_counter() - t0) * 1000

            def run():
                with torch.inference_mode():
                    return [y.numpy() for y in net(torch.from_numpy(images))]

            got = run()
            parity = {}
            for o, y in zip(outputs, got):
                ref = refs[o]
                diff = onnx_torch.max_abs_diff(y, ref)
                scale = max(1.0, float(np.max(np.abs(ref))))
                parity[o] = {'maxAbs': diff, 'scale': scale, 'passed': bool(diff <= args.tolerance * scale)}
            # jit's profiling executor optimises during its first calls: give it more warm-up.
            wall, cpu = timed(run, args.warmup + (2 if mode == 'jit' else 0), args.reps)
            results.append({
                'model': name, 'mode': mode, 'batch': int(images.shape[0]), 'loadMs': round(load_ms, 1),
                'wallMs': statistics.median(wall), 'cpuMs': statistics.median(cpu),
                'allWallMs': [round(t, 1) for t in wall], 'parity': parity,
                'parityPassed': all(p['passed'] for p in parity.values()),
            })
            del net
    print(json.dumps({
        'torch': torch.__version__, 'onnx': onnx.__version__, 'numpy': np.__version__, 'python': sys.version.split()[0],
        'threads': torch.get_num_threads(), 'tolerance': args.tolerance,
        'malloc': {k: os.environ[k] for k in MALLOC_VARS if k in os.environ}, 'results': results,
    }))


if __name__ == '__main__':
    main()
