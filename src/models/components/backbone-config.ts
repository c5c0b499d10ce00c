// Validation helpers for model configs that sit on a backbone (SFAD, LPD): numbers in range, a buildable
// architecture, stage names it has. They throw E_CONFIG naming the field; they do not pick defaults.
import { MadenetError } from '../../pipeline/core/errors.js';
import { isResNetArch, RESNET_ARCHS, RESNET_STAGES } from './resnet.js';

export function configError(model: string, field: string, expected: string, got: unknown): MadenetError {
  return new MadenetError('E_CONFIG', `Invalid ${model} config ${field}: ${JSON.stringify(got)}; expected ${expected}.`);
}

export function requireInt(model: string, field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw configError(model, field, `an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}]`, value);
  }
}

export function requireNumber(model: string, field: string, value: number, min: number, max: number, openMin = false): void {
  const ok = Number.isFinite(value) && (openMin ? value > min : value >= min) && value <= max;
  if (!ok) throw configError(model, field, `a number in ${openMin ? '(' : '['}${min}, ${max}]`, value);
}

export function requireBackbone(model: string, arch: string, layers: readonly string[], imageSize: number, layersField = 'layers'): void {
  if (!isResNetArch(arch)) throw configError(model, 'backbone', `one of ${RESNET_ARCHS.join(', ')}`, arch);
  if (layers.length === 0 || layers.some((l) => !(RESNET_STAGES as readonly string[]).includes(l)) || new Set(layers).size !== layers.length) {
    throw configError(model, layersField, `distinct stages among ${RESNET_STAGES.join(', ')}`, layers);
  }
  if (!Number.isInteger(imageSize) || imageSize < 32 || imageSize % 32 !== 0) {
    throw configError(model, 'imageSize', 'a multiple of 32 (the backbone downsamples 32x), at least 32', imageSize);
  }
}
