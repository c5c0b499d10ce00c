// Build-time stand-in for onnxruntime-node's types, which tsconfig.build.json falls back to only when the optional
// package is not installed (its postinstall failed offline, or the platform has no binary), so that `npm install`
// still builds. It declares the slice of the API onnxruntime.ts uses; at run time the package's absence is reported
// (doctor, --engine auto falls back to tfjs), never papered over.
export interface Tensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}
export declare const Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => Tensor;

export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}
export declare namespace InferenceSession {
  interface SessionOptions {
    executionProviders?: readonly string[];
    graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
    executionMode?: 'sequential' | 'parallel';
    intraOpNumThreads?: number;
    interOpNumThreads?: number;
    extra?: Record<string, unknown>;
  }
}
export declare const InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };

export declare const env: { readonly versions: { readonly common: string; readonly node?: string } };
