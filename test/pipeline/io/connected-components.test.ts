import { labelComponents8 } from '../../../src/pipeline/io/connected-components.js';

describe('labelComponents8', () => {
  it('joins diagonal neighbours, numbers components in scan order and counts their pixels', () => {
    // Given a 4x3 plane: a diagonal pair (joined), a lone pixel, and a value exactly at the threshold (off)
    const plane = Float32Array.from([
      0.9, 0, 0, 0.6,
      0, 0.7, 0, 0,
      0, 0, 0.5, 0,
    ]);
    // When labelled above 0.5
    const { labels, sizes } = labelComponents8(plane, 4, 3, 0.5);
    // Then the diagonal pair is component 1 (2 pixels), the top-right pixel component 2, the 0.5 pixel off
    expect(Array.from(labels)).toEqual([1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(sizes).toEqual([2, 1]);
    // And a nonzero-is-on plane (threshold 0) joins the third diagonal pixel too
    expect(labelComponents8(plane, 4, 3, 0).sizes).toEqual([3, 1]);
    expect(labelComponents8(new Uint8Array(6), 3, 2, 0)).toEqual({ labels: new Int32Array(6), sizes: [] });
  });
});
