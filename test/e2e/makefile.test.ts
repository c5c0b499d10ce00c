// examples/Makefile: re-running with the same settings does nothing, changing EPOCHS or IMAGE_SIZE retrains and
// redoes what follows, THREADS reaches madenet without retraining, and -j keeps the order. madenet is replaced by a
// stand-in that writes versions and LATEST as the real store does and logs its calls (the real commands have their
// own tests); skipped where make is not installed.
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useTempDir } from '../helpers/temp-dir.js';

const makefile = fileURLToPath(new URL('../../examples/Makefile', import.meta.url));
const hasMake = spawnSync('make', ['--version']).status === 0;

const FAKE = `#!/bin/sh
echo "madenet $* threads=$MADENET_THREADS" >> "$FAKE_LOG"
cmd=$1; shift
out=""; cat=""; model=""; report=""
while [ $# -gt 0 ]; do
  case "$1" in --out) out=$2; shift;; --category) cat=$2; shift;; --model) model=$2; shift;; esac
  shift
done
bump() { mkdir -p "$1"; n=$(ls "$1" | grep -c '^v'); v=$(printf 'v%04d' $((n + 1))); mkdir -p "$1/$v"; echo "$v" > "$1/LATEST"; }
case $cmd in
  train-srad|train-lpd|train-sfad) bump "$out/\${cmd#train-}/$cat";;
  train-classifier) bump "$out/classifier/all";;
  finetune) bump "$(dirname "$model")";;
  build-perfmap) bump "$out/perfmap/all";;
  infer) cat > /dev/null; mkdir -p "$out";;
  evaluate) mkdir -p "$out"; echo '{}' > "$out/metrics.json";;
esac
`;

(hasMake ? describe : describe.skip)('examples/Makefile', () => {
  const tmp = useTempDir('madenet-make-');
  let log: string;
  beforeAll(async () => {
    for (const c of ['BGA', 'QFN']) {
      await mkdir(join(tmp.path, 'data', c, 'test', 'good'), { recursive: true });
      await writeFile(join(tmp.path, 'data', c, 'test', 'good', '000.png'), '');
    }
    await writeFile(join(tmp.path, 'fake-madenet'), FAKE);
    await chmod(join(tmp.path, 'fake-madenet'), 0o755);
    log = join(tmp.path, 'log');
  });

  /** Runs make with these variables; returns the madenet calls it made. */
  async function make(vars: Record<string, string>, jobs = 1): Promise<string[]> {
    await writeFile(log, '');
    const args = ['-s', '-f', makefile, `-j${jobs}`, `MADENET=${join(tmp.path, 'fake-madenet')}`, `DATA=${join(tmp.path, 'data')}`, `OUT=${join(tmp.path, 'art')}`, `PRED=${join(tmp.path, 'pred')}`, `REPORT=${join(tmp.path, 'report')}`];
    const r = spawnSync('make', [...args, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], { encoding: 'utf8', env: { ...process.env, FAKE_LOG: log } });
    expect([r.status, r.stderr]).toEqual([0, '']);
    return (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
  }

  it('runs every step once, then nothing; EPOCHS retrains; THREADS only reaches madenet', async () => {
    const first = await make({ EPOCHS: '2', IMAGE_SIZE: '64', THREADS: '2' });
    // 6 submodels + classifier, 7 fine-tunes, perfmap, infer, evaluate
    expect(first).toHaveLength(17);
    expect(first.filter((l) => l.includes(' train-')).every((l) => l.includes('--epochs 2') && l.includes('--image-size 64') && l.endsWith('threads=2'))).toBe(true);
    // SFAD starts from the LPD version that training recorded, fine-tuning from the version training made.
    expect(first).toContainEqual(expect.stringContaining(`--backbone ${join(tmp.path, 'art', 'lpd', 'BGA', 'v0001')}`));
    expect(first).toContainEqual(expect.stringContaining(`finetune --model ${join(tmp.path, 'art', 'srad', 'QFN', 'v0001')}`));

    expect(await make({ EPOCHS: '2', IMAGE_SIZE: '64', THREADS: '2' })).toEqual([]);
    expect(await make({ EPOCHS: '2', IMAGE_SIZE: '64', THREADS: '1' })).toEqual([]);

    const again = await make({ EPOCHS: '3', IMAGE_SIZE: '64' }, 4);
    expect(again).toHaveLength(17);
    // the retrained versions (v0003: v0002 was the fine-tune) are the ones fine-tuned and used as backbone.
    expect(again).toContainEqual(expect.stringContaining(`--backbone ${join(tmp.path, 'art', 'lpd', 'QFN', 'v0003')}`));
    expect(again).toContainEqual(expect.stringContaining(`finetune --model ${join(tmp.path, 'art', 'sfad', 'BGA', 'v0003')}`));
    // under -j4 each fine-tune still follows its training, and the map comes after every fine-tune.
    const at = (s: string): number => again.findIndex((l) => l.includes(s));
    expect(at('train-sfad --data') > at('train-lpd --data')).toBe(true);
    expect(again.findIndex((l) => l.includes('build-perfmap'))).toBe(again.length - 3);

    const resized = await make({ EPOCHS: '3', IMAGE_SIZE: '96' });
    expect(resized.filter((l) => l.includes(' train-'))).toHaveLength(7);
  });
});
