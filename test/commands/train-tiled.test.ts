// Tiled training (--tile) is one shared option of every submodel trainer: each trains on the tiles of its train
// images (decoded one tile at a time), validates on the tiles of held-out images, and records the tiling in its
// artifact; infer without --tile then scores the test images by those tiles (stitched full-size map).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@oclif/core';
import Evaluate from '../../src/commands/evaluate.js';
import TrainLpd from '../../src/commands/train-lpd.js';
import TrainPatchcore from '../../src/commands/train-patchcore.js';
import TrainSfad from '../../src/commands/train-sfad.js';
import TrainSrad from '../../src/commands/train-srad.js';
import { loadArtifact } from '../../src/pipeline/artifacts/index.js';
import { readNpy } from '../../src/pipeline/io/npy.js';
import { tileGrid } from '../../src/pipeline/io/tiles.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { runCommand } from '../helpers/run-command.js';

const SIZE = 64;
const TILE = 32;
// 64 px images, 32 px tiles at 25% overlap: starts 0, 24, 32 per side, 9 tiles; at most 4 kept per image.
const PER_IMAGE = Math.min(4, tileGrid(SIZE, SIZE, TILE, 0.25).length);

describe('train-* --tile', () => {
  let dir: string;
  let common: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'madenet-cmd-train-tiled-'));
    await makeTinyDataset(join(dir, 'data'), { size: SIZE, normals: 5, testNormals: 2, defects: 2 });
    common = ['--data', join(dir, 'data'), '--category', 'widget', '--out', join(dir, 'out'), '--image-size', '32', '--tile', String(TILE), '--max-tiles-per-image', '4', '--backend', 'wasm', '--threads', '1', '--json'];
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const trainers: [string, typeof Command, string[]][] = [
    ['srad', TrainSrad, ['--preset', 'tiny', '--epochs', '1', '--batch-size', '4', '--checkpoint-every', '0']],
    ['sfad', TrainSfad, ['--backbone', 'random', '--preset', 'tiny', '--epochs', '1', '--batch-size', '4', '--feature-dim', '48', '--hidden', '16', '--checkpoint-every', '0']],
    ['lpd', TrainLpd, ['--preset', 'tiny', '--epochs', '1', '--batch-size', '4', '--no-gate', '--score', 'head', '--checkpoint-every', '0']],
    ['patchcore', TrainPatchcore, ['--backbone', 'random', '--layers', 'layer1,layer2', '--global-layer', 'none']],
  ];

  it.each(trainers)('%s trains on tiles of the train images and records the tiling', async (kind, command, extra) => {
    const r = await runCommand(command, [...common, ...extra]);
    expect(r.exitCode ?? 0).toBe(0);
    const json = JSON.parse(r.stdout) as { trainImages: number; validation: { normals: number } };
    // 5 normals, one held out whole: 4 train images of PER_IMAGE tiles each, the held-out image's tiles validate.
    expect(json.trainImages).toBe(4 * PER_IMAGE);
    expect(json.validation.normals).toBe(PER_IMAGE);
    const artifact = await loadArtifact(join(dir, 'out', kind, 'widget'));
    const { calibration, ...tiling } = (artifact.manifest.config as { data: { tiling: { calibration?: { regions: { n: number }[] } } } }).data.tiling;
    // PatchCore records the normal score level of each tile place (the held-out image's PER_IMAGE tiles, once each).
    if (kind === 'patchcore') {
      expect(calibration?.regions.map((r) => r.n)).toEqual(new Array(PER_IMAGE).fill(1));
      // A small defect covers ~1% of a tile: tiled PatchCore scores a tile by the top 1% of its map, not 10%.
      expect((artifact.manifest.config as { model: { scoreTopFraction: number } }).model.scoreTopFraction).toBe(0.01);
      // The coreset runs per tile place (the default with --tile): one group per place the train tiles cover (each
      // image gives PER_IMAGE different places, of the 9 of its grid), each keeping at least one row.
      const bank = (artifact.manifest.config as { bank: { coresetScope: string; coresetGroups: number; bankRows: number } }).bank;
      const { coreset } = json as unknown as { coreset: { scope: string; groups: number } };
      expect(coreset).toEqual({ scope: 'tile-place', groups: bank.coresetGroups });
      expect(bank.coresetScope).toBe('tile-place');
      expect(bank.coresetGroups).toBeGreaterThanOrEqual(PER_IMAGE);
      expect(bank.coresetGroups).toBeLessThanOrEqual(tileGrid(SIZE, SIZE, TILE, 0.25).length);
      expect(bank.bankRows).toBeGreaterThanOrEqual(bank.coresetGroups);
    }
    else expect(calibration).toBeUndefined();
    expect(tiling).toEqual({
      tile: TILE,
      overlap: 0.25,
      maxTilesPerImage: 4,
      images: 5,
      tiles: 5 * PER_IMAGE,
      droppedUnmaskedDefects: 0,
      cleanDefectTiles: 0,
    });
  });

  it('evaluate --model scores a tiled model by its tiles: a stitched map of the full image', async () => {
    const ev = await runCommand(Evaluate, ['--model', join(dir, 'out', 'patchcore', 'widget'), '--data', join(dir, 'data'), '--out', join(dir, 'eval'), '--backend', 'wasm', '--threads', '1', '--json']);
    expect(ev.exitCode ?? 0).toBe(0);
    const lines = (await readFile(join(dir, 'eval', 'predictions', 'predictions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { map: string | null });
    expect(lines).toHaveLength(4);
    const map = await readNpy(join(dir, 'eval', 'predictions', lines[0]?.map as string));
    // Tiles of 32 source px scored at 32 px: the stitched map has the source's 64 x 64 pixels.
    expect(map.shape).toEqual([SIZE, SIZE]);
  });
});
