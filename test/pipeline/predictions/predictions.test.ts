import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PREDICTIONS_FILE, formatPrediction, parsePrediction, resolveMapPath, type Prediction } from '../../../src/pipeline/predictions/prediction.js';
import { readPredictions, type TornLine } from '../../../src/pipeline/predictions/read-predictions.js';
import { openPredictionLog, type InferPrediction } from '../../../src/pipeline/infer/prediction-log.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const base: Prediction = {
  path: 'images/a.png',
  category: 'capacitor',
  score: 0.75,
  label: 1,
  threshold: 0.5,
  model: 'sfad',
  classifier: { category: 'capacitor', confidence: 0.98 },
  map: 'maps/000001.npy',
};

async function collect(dir: string, torn: TornLine[] = []): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for await (const p of readPredictions(dir, { onTornLine: (t) => torn.push(t) })) out.push(p);
  return out;
}

describe('predictions format', () => {
  const tmp = useTempDir('madenet-predictions-', 'test');

  it('serialises the documented fields in order, one line each, and parses them back', () => {
    const line = formatPrediction({ ...base, extra: 1 } as Prediction);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(Object.keys(JSON.parse(line))).toEqual(['path', 'category', 'score', 'label', 'threshold', 'model', 'classifier', 'map']);
    expect(parsePrediction(JSON.parse(line), 'x')).toEqual(base);
    expect(parsePrediction({ ...base, classifier: null, map: null }, 'x')).toMatchObject({ classifier: null, map: null });
    expect(resolveMapPath('/p', base)).toBe(join('/p', 'maps/000001.npy'));
    expect(resolveMapPath('/p', { ...base, map: null })).toBeNull();
  });

  it.each([
    ['label', 2, /"label" is 2/],
    ['model', 'U-Net', /"model" is "U-Net", not a submodel kind/],
    ['score', 'high', /"score" is "high"/],
    ['map', '../outside.npy', /"map" is "..\/outside.npy"/],
    ['map', '/abs/m.npy', /relative path/],
    ['classifier', { category: 'c' }, /"classifier"/],
    ['path', '', /"path" is ""/],
  ])('rejects a bad %s (%j) with E_PREDICTIONS naming where', (key, value, message) => {
    const bad = { ...base, [key]: value };
    expect(() => parsePrediction(bad, 'predictions.jsonl line 7')).toThrow(message);
    expect(() => parsePrediction(bad, 'predictions.jsonl line 7')).toThrow(/line 7/);
    expect(() => parsePrediction(bad, 'x')).toThrow(expect.objectContaining({ code: 'E_PREDICTIONS' }));
  });

  it('streams lines, skips blank ones, and reports then skips a torn last line', async () => {
    const lines = [formatPrediction(base), '\n', formatPrediction({ ...base, path: 'b.png', label: 0, score: 0.1 })];
    await writeFile(join(tmp.path, PREDICTIONS_FILE), `${lines.join('')}{"path": "c.png", "categ`);
    const torn: TornLine[] = [];
    const got = await collect(tmp.path, torn);
    expect(got.map((p) => p.path)).toEqual(['images/a.png', 'b.png']);
    expect(torn).toHaveLength(1);
    expect(torn[0]).toMatchObject({ line: 4, text: '{"path": "c.png", "categ' });
  });

  it('accepts a complete last line without its newline, but fails on a bad line in the middle', async () => {
    await writeFile(join(tmp.path, PREDICTIONS_FILE), formatPrediction(base) + JSON.stringify({ ...base, path: 'z.png' }));
    expect((await collect(tmp.path)).map((p) => p.path)).toEqual(['images/a.png', 'z.png']);
    await writeFile(join(tmp.path, PREDICTIONS_FILE), `${formatPrediction(base)}{oops\n${formatPrediction(base)}`);
    await expect(collect(tmp.path)).rejects.toMatchObject({ code: 'E_PREDICTIONS', message: expect.stringMatching(/line 2/) });
    await expect(collect(join(tmp.path, 'nowhere'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('infer writes whole lines under concurrent appends and cuts a torn tail when resuming', async () => {
    // Given infer's log (the one writer of predictions.jsonl) and lines carrying infer's extra fields
    const line = (path: string, score: number): InferPrediction => ({
      ...base,
      path,
      score,
      route: { reason: 'confident', minConfidence: 0.85 },
      artifact: { kind: 'sfad', category: 'capacitor', version: 1, dir: '/a/sfad/capacitor/v0001' },
      overlay: null,
      mask: null,
    });
    const w = await openPredictionLog(tmp.path, false);
    await Promise.all(Array.from({ length: 200 }, (_, i) => w.append(line(`img-${i}.png`, i))));
    await w.close();
    let got = await collect(tmp.path);
    expect(got.map((p) => p.path)).toEqual(Array.from({ length: 200 }, (_, i) => `img-${i}.png`));
    // A crash mid-line leaves a torn tail; resuming cuts it, knows what was done and continues on a clean line.
    await writeFile(join(tmp.path, PREDICTIONS_FILE), `${await readFile(join(tmp.path, PREDICTIONS_FILE), 'utf8')}{"path":"half`);
    const again = await openPredictionLog(tmp.path, true);
    expect(again.cutTornBytes).toBe('{"path":"half'.length);
    expect(again.done.size).toBe(200);
    await again.append(line('after.png', 0.5));
    // An invalid prediction is refused before anything is written.
    await expect(again.append(line('nan.png', Number.NaN))).rejects.toMatchObject({ code: 'E_PREDICTIONS' });
    await again.close();
    got = await collect(tmp.path);
    expect(got).toHaveLength(201);
    expect(got[200]?.path).toBe('after.png');
    // Without --resume a file that holds predictions is not overwritten.
    await expect(openPredictionLog(tmp.path, false)).rejects.toMatchObject({ code: 'E_EXISTS' });
  });
});
