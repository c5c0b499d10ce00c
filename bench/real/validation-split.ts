// --real-validation N: sets aside, per category, N test defects and N test normals (seeded, spread over defect
// types) as a labelled validation folder for build-perfmap --validation-data; the rest stay the test split.
// Works on the manifest rows only: files stay where they are.
import { hashSeed, Rng } from '../../src/pipeline/core/random.js';

interface Row {
  path: string;
  category: string;
  split: string;
  label: number;
  defect_type: string;
}

export interface ValidationSplit {
  /** Manifest rows per category without the held-out images. */
  rows: Record<string, string[]>;
  /** The held-out rows (still split "test": build-perfmap takes every split of --validation-data). */
  validation: string[];
  /** Held out per category. */
  heldOut: Record<string, { normals: number; defects: number }>;
}

/**
 * Takes min(n, a third) of each category's test defects and of its test normals, so that at least two thirds of
 * the test split remain. Defects are taken round-robin over defect types, each type in a seeded order.
 */
export function holdOutRealValidation(rows: Record<string, string[]>, names: readonly string[], n: number, seed: number): ValidationSplit {
  const out: ValidationSplit = { rows: {}, validation: [], heldOut: {} };
  for (const name of names) {
    const lines = rows[name] ?? [];
    const parsed = lines.map((line) => ({ line, row: JSON.parse(line) as Row }));
    const tests = parsed.filter((p) => p.row.split === 'test');
    const rng = new Rng(hashSeed(`${seed}:${name}:real-validation`));
    const pick = (pool: typeof tests, k: number): Set<string> => {
      const byType = new Map<string, typeof tests>();
      for (const p of [...pool].sort((a, b) => (a.row.path < b.row.path ? -1 : 1))) byType.set(p.row.defect_type, [...(byType.get(p.row.defect_type) ?? []), p]);
      const queues = [...byType.keys()].sort().map((t) => rng.shuffle([...(byType.get(t) ?? [])]));
      const chosen = new Set<string>();
      for (let i = 0; chosen.size < k && queues.some((q) => q.length > 0); i++) {
        const q = queues[i % queues.length] as typeof tests;
        const next = q.shift();
        if (next) chosen.add(next.row.path);
      }
      return chosen;
    };
    const defects = tests.filter((p) => p.row.label === 1);
    const normals = tests.filter((p) => p.row.label === 0);
    const held = new Set([...pick(defects, Math.min(n, Math.floor(defects.length / 3))), ...pick(normals, Math.min(n, Math.floor(normals.length / 3)))]);
    out.rows[name] = parsed.filter((p) => !held.has(p.row.path)).map((p) => p.line);
    out.validation.push(...parsed.filter((p) => held.has(p.row.path)).map((p) => p.line));
    out.heldOut[name] = { normals: normals.filter((p) => held.has(p.row.path)).length, defects: defects.filter((p) => held.has(p.row.path)).length };
  }
  return out;
}
