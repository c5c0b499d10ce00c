// Loads the submodels a perfmap references on first use and keeps at most `max` of them (least recently
// used goes first), so that a map over many categories does not hold every network at once.
import { MadenetError } from '../core/errors.js';
import type { Detector } from '../detectors/detector.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import { resolvePointer } from '../perfmap/artifact-pointer.js';
import type { CandidateMetrics } from '../perfmap/schema.js';

/** A tfjs Detector, or any engine behind the async contract (engines/engine-choice.ts). */
export type LoadedDetector = Detector | AsyncDetector;
export type DetectorLoaderFn = (dir: string) => Promise<LoadedDetector>;

export class DetectorCache {
  private readonly loaded = new Map<string, LoadedDetector>();
  /** Where each loaded artifact was actually found (a copied root may differ from the perfmap's build-time path). */
  private readonly dirs = new Map<string, string>();
  /** Seconds spent loading, for the run's stage times. */
  loadSeconds = 0;
  loads = 0;

  constructor(
    private readonly perfmapDir: string,
    private readonly load: DetectorLoaderFn,
    private readonly max = 8,
  ) {}

  async get(candidate: CandidateMetrics): Promise<LoadedDetector> {
    const key = candidate.artifact.manifestSha256;
    const hit = this.loaded.get(key);
    if (hit) {
      this.loaded.delete(key);
      this.loaded.set(key, hit);
      return hit;
    }
    const t0 = performance.now();
    const dir = await resolvePointer(candidate.artifact, this.perfmapDir);
    const detector = await this.load(dir);
    if (detector.kind !== candidate.kind || detector.imageSize !== candidate.imageSize) {
      detector.dispose();
      throw new MadenetError('E_PERFMAP', `Artifact ${dir} loads as a ${detector.kind} detector of size ${detector.imageSize}; the perfmap expects ${candidate.kind} of size ${candidate.imageSize}.`);
    }
    while (this.loaded.size >= Math.max(1, this.max)) {
      const [oldKey, old] = this.loaded.entries().next().value as [string, LoadedDetector];
      this.loaded.delete(oldKey);
      old.dispose();
    }
    this.loaded.set(key, detector);
    this.dirs.set(key, dir);
    this.loadSeconds += (performance.now() - t0) / 1000;
    this.loads++;
    return detector;
  }

  /** The directory the candidate's detector was loaded from (after get()); predictions record this one. */
  loadedDir(candidate: CandidateMetrics): string {
    return this.dirs.get(candidate.artifact.manifestSha256) ?? candidate.artifact.dir;
  }

  disposeAll(): void {
    for (const d of this.loaded.values()) d.dispose();
    this.loaded.clear();
  }
}
