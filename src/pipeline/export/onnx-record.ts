// What `madenet export` records about an ONNX file in the exported artifact's manifest (metrics.onnx): the
// file and its sha256, where it came from, and the parity check it passed. Types and a strict reader only.
import { MadenetError } from '../core/errors.js';
import { ONNX_CONTRACT_VERSION } from './onnx-contract.js';

export interface ParityTolerance {
  /** Pass iff max|onnx - tfjs| <= tolerance * max(1, max|tfjs|), separately for scores and maps. */
  relative: number;
}

export interface ParityReport {
  passed: boolean;
  /** Where the images came from: the built-in demo renderer or a --data directory. */
  source: 'demo' | 'data';
  images: number;
  /** Image paths (data) or demo sample names, for reproducing the check. */
  inputs: string[];
  tolerance: ParityTolerance;
  /** Largest |onnx - tfjs| over the images (classifier: over its probabilities). */
  maxAbsScore: number;
  /** null for the classifier (no maps). */
  maxAbsMap: number | null;
  /** max|tfjs| of scores and maps, the scale the tolerance is applied to. */
  scoreScale: number;
  mapScale: number | null;
  tfjsBackend: string;
  onnxruntime: string;
}

export interface OnnxRecord {
  file: string;
  sha256: string;
  bytes: number;
  opset: number;
  contract: number;
  /** The version it was exported from, and that version's manifest.json sha256 (lineage for engine choice). */
  exportedFrom: { kind: string; category: string; version: number; manifestSha256: string };
  parity: ParityReport;
}

/** Allowed |onnx - tfjs| for a set of values whose largest magnitude is `scale`. */
export function parityBound(tol: ParityTolerance, scale: number): number {
  return tol.relative * Math.max(1, scale);
}

/** metrics.onnx of a manifest, or null when the artifact has no ONNX export; malformed records are refused. */
export function readOnnxRecord(metrics: Record<string, unknown> | undefined, where: string): OnnxRecord | null {
  const r = metrics?.onnx as Partial<OnnxRecord> | undefined;
  if (r === undefined || r === null) return null;
  const ok =
    typeof r === 'object' &&
    typeof r.file === 'string' &&
    typeof r.sha256 === 'string' &&
    typeof r.contract === 'number' &&
    typeof r.exportedFrom?.manifestSha256 === 'string' &&
    typeof r.parity?.passed === 'boolean';
  if (!ok) throw new MadenetError('E_ARTIFACT', `Artifact ${where} has a malformed metrics.onnx record; expected the one \`madenet export\` writes.`);
  if (r.contract !== ONNX_CONTRACT_VERSION) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${where} holds an ONNX file of contract ${r.contract}; this madenet reads contract ${ONNX_CONTRACT_VERSION}.`, {
      suggestions: ['Re-export it with this madenet: `madenet export --model <the source version>`.'],
    });
  }
  return r as OnnxRecord;
}
