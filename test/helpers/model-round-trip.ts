// A tfjs LayersModel saved and loaded without a file system (tfjs without tfjs-node cannot save to file://):
// what the artifact store does to a model, minus the files.
import * as tf from '@tensorflow/tfjs';

/** The artifacts (topology, weight specs and data) `model.save` hands to a save handler. */
export async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('model.save did not call the save handler');
  return saved;
}

/** `model` saved to memory and loaded back as a new model. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)));
}
