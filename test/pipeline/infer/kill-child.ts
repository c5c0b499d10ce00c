// Child process for the kill test: runs the infer service with the test loaders and a submodel slowed to
// ~150 ms per image, so that the parent can SIGKILL it part-way. Usage: kill-child.ts PERFMAP INPUT OUT
import type { Detector } from '../../../src/pipeline/detectors/detector.js';
import { infer } from '../../../src/pipeline/services/infer.js';
import { loadTestClassifier, loadTestDetector } from './fixtures.js';

const [perfmap, input, out] = process.argv.slice(2) as [string, string, string];

async function slowLoader(dir: string): Promise<Detector> {
  const d = await loadTestDetector(dir);
  return {
    ...d,
    kind: d.kind,
    category: d.category,
    imageSize: d.imageSize,
    artifactDir: d.artifactDir,
    predict(images) {
      const until = Date.now() + 150 * images.shape[0];
      while (Date.now() < until) {
        // busy: predict is synchronous by contract
      }
      return d.predict(images);
    },
    dispose: () => d.dispose(),
  };
}

await infer({ perfmap, input, out, resume: true, batchSize: 1, concurrency: 1, backend: 'cpu', threads: 1, loadDetector: slowLoader, loadClassifier: loadTestClassifier, saveMaps: true });
process.stdout.write('finished\n');
