// Throughput arithmetic and tables of the routed-pipeline benchmark (bench/infer/run.ts): per-model batch
// timings in, images/s of classifier + one submodel per image out. No measuring and no I/O here.

export const SUBMODELS = ['srad', 'sfad', 'lpd'] as const;
export type Submodel = (typeof SUBMODELS)[number];
export type RoutedModel = Submodel | 'classifier';

/** One engine configuration's median time for one model's forward pass on one batch. */
export interface EngineTiming {
  model: RoutedModel;
  /** e.g. 'onnxruntime', 'tfjs wasm', 'PyTorch fold (tuned malloc)'. */
  engine: string;
  batch: number;
  wallMs: number;
  cpuMs: number;
  /** false when the engine's outputs did not match onnxruntime's (the row then compares another network). */
  parityPassed?: boolean;
}

/** Share of images routed to each submodel (weights sum to 1); every image also goes through the classifier. */
export interface RoutingMix {
  name: string;
  weights: Partial<Record<Submodel, number>>;
}

export function parseMix(text: string): RoutingMix {
  const weights: Partial<Record<Submodel, number>> = {};
  for (const part of text.split(',')) {
    const [k, v] = part.split(':');
    if (!(SUBMODELS as readonly string[]).includes(k ?? '') || !(Number(v) > 0)) throw new Error(`Bad routing mix part '${part}'; expected submodel:weight, e.g. lpd:0.5,sfad:0.5.`);
    weights[k as Submodel] = Number(v);
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new Error(`Routing mix ${text} sums to ${sum}; expected 1.`);
  return { name: text, weights };
}

export const SINGLE_MIXES: RoutingMix[] = SUBMODELS.map((k) => ({ name: `${k} only`, weights: { [k]: 1 } }));

/**
 * Images/s of the routed forward passes for one engine: each image pays the classifier plus its submodel,
 * per-image time = (t_classifier + sum_k w_k t_k) / batch. null when a needed timing is missing.
 */
export function routedImagesPerSecond(rows: readonly EngineTiming[], engine: string, mix: RoutingMix, time: 'wallMs' | 'cpuMs' = 'wallMs'): number | null {
  const of = (m: RoutedModel): EngineTiming | undefined => rows.find((r) => r.engine === engine && r.model === m);
  const cls = of('classifier');
  if (!cls) return null;
  let msPerImage = cls[time] / cls.batch;
  for (const [k, w] of Object.entries(mix.weights) as [Submodel, number][]) {
    const r = of(k);
    if (!r) return null;
    msPerImage += (w * r[time]) / r.batch;
  }
  return 1000 / msPerImage;
}

function fmt(v: number | null, digits = 1): string {
  return v === null || !Number.isFinite(v) ? '' : v.toFixed(digits);
}

function enginesOf(rows: readonly EngineTiming[]): string[] {
  return [...new Set(rows.map((r) => r.engine))];
}

/** Per model: images/s (median ms per batch wall / process CPU) for every engine; parity failures marked. */
export function modelTable(rows: readonly EngineTiming[], models: readonly RoutedModel[]): string {
  const lines = [`| engine | ${models.join(' | ')} |`, `|---|${models.map(() => '---|').join('')}`];
  for (const e of enginesOf(rows)) {
    const cells = models.map((m) => {
      const r = rows.find((x) => x.engine === e && x.model === m);
      if (!r) return '';
      const ips = (1000 * r.batch) / r.wallMs;
      return `${fmt(ips)} (${r.wallMs.toFixed(0)} / ${r.cpuMs.toFixed(0)})${r.parityPassed === false ? ' PARITY FAILED' : ''}`;
    });
    lines.push(`| ${e} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Routed images/s per engine and mix (wall; CPU-time figure in parentheses). */
export function routedTable(rows: readonly EngineTiming[], mixes: readonly RoutingMix[]): string {
  const lines = [`| engine | ${mixes.map((m) => m.name).join(' | ')} |`, `|---|${mixes.map(() => '---|').join('')}`];
  for (const e of enginesOf(rows)) {
    lines.push(`| ${e} | ${mixes.map((m) => `${fmt(routedImagesPerSecond(rows, e, m))} (${fmt(routedImagesPerSecond(rows, e, m, 'cpuMs'))})`).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The fastest engine among `candidates` for a model or mix (by wall time), only among parity-passing rows. */
export function fastest(rows: readonly EngineTiming[], candidates: readonly string[], pick: (engine: string) => number | null): { engine: string; value: number } | null {
  let best: { engine: string; value: number } | null = null;
  for (const e of candidates) {
    if (rows.some((r) => r.engine === e && r.parityPassed === false)) continue;
    const v = pick(e);
    if (v !== null && Number.isFinite(v) && (best === null || v > best.value)) best = { engine: e, value: v };
  }
  return best;
}
