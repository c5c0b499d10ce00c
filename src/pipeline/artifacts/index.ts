// Public surface of the artifact store (versioned artifacts, checkpoints, tfjs model files).
// Re-exports only; each idea lives in its own module.
export { ARTIFACT_SCHEMA_VERSION, toolVersion, type ArtifactManifest, type ArtifactParent, type ArtifactFileEntry } from './manifest.js';
export {
  artifactDir,
  listVersions,
  loadArtifact,
  versionName,
  writeArtifact,
  LATEST_FILE,
  MANIFEST_FILE,
  type ArtifactRef,
  type LoadedArtifact,
  type WriteArtifactOptions,
} from './store.js';
export { checkpointDir, loadLatestCheckpoint, writeCheckpoint, DEFAULT_KEEP_CHECKPOINTS, type WriteCheckpointOptions } from './checkpoints.js';
export { layersModelFrom, modelArtifactsOf } from './tfjs-files.js';
export { LOCK_FILE } from './lock.js';
