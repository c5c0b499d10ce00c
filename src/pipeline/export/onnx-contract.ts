// The tensor names and layouts every madenet ONNX file has, so that the exporter and the onnx engine agree:
// input `images` [N,S,S,3] float32 in [0,1] (NHWC, as decoded); outputs `scores` [N] and `maps` [N,S,S]
// for detectors, `probs` [N,K] for the classifier. Names only; no graph code.

export const ONNX_INPUT = 'images';
export const ONNX_SCORES = 'scores';
export const ONNX_MAPS = 'maps';
export const ONNX_PROBS = 'probs';

/** The file written into the exported artifact version. */
export const ONNX_FILE = 'model.onnx';

/** Bump when the I/O contract or the meaning of the outputs changes; the engine refuses other versions. */
export const ONNX_CONTRACT_VERSION = 1;

/** Keys of ModelProto.metadata_props. */
export const ONNX_META = { contract: 'madenet.contract', kind: 'madenet.kind', imageSize: 'madenet.image_size' } as const;
