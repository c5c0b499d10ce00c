// The synchronous twin of training-run's `failure`: what a call throws, as a value a test can inspect.

/** What `fn` throws (unknown, as caught), for a test to check its class and code; throws if `fn` returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
