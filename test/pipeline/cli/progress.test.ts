// Progress rendering on a fake terminal, on TERM=dumb, off a terminal and when switched off: what reaches stderr.
import { createProgress, formatDuration, setProgressVerbosity } from '../../../src/pipeline/cli/progress.js';

/** A stderr stand-in: records what is written; isTTY and columns as a terminal (or a pipe) would report them. */
function fakeStream(isTTY: boolean, columns = 100) {
  const chunks: string[] = [];
  return {
    chunks,
    text: () => chunks.join(''),
    stream: { isTTY, columns, write: (c: string) => (chunks.push(String(c)), true) } as unknown as NodeJS.WritableStream & { isTTY: boolean; columns: number },
  };
}

/** A clock the test moves by hand (milliseconds). */
function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const ESC = '\x1b';

describe('createProgress', () => {
  afterEach(() => setProgressVerbosity('normal'));

  it('draws a bar with the real total, percentage, measured rate and ETA on a terminal', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ label: 'infer', json: false, unit: 'img', stream: out.stream, env: { TERM: 'xterm' }, now: clock.now, fields: ['skipped'] });
    expect(p.mode).toBe('bar');
    p.setTotal(100);
    p.update(10);
    clock.advance(1000);
    p.update(20, { skipped: '1' }); // 10 images in 1 s: 10 img/s, 80 left -> 8 s
    p.stop();
    const frames = out.text().split('\r').filter((f) => f !== '');
    const last = frames[frames.length - 1] as string;
    expect(last).toBe(`infer [#####-------------------] 20/100 20% | 10 img/s | ETA 8s | skipped 1${ESC}[K\n`);
    expect(out.text()).not.toMatch(/\{[^}]*\}/); // no unfilled {placeholder}
  });

  it('shows a trainer-supplied rate (images/s) while the ETA follows the steps', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ label: 'srad BGA', json: false, unit: 'img', stream: out.stream, env: {}, now: clock.now, fields: ['epoch', 'loss'] });
    p.setTotal(400);
    p.update(100, { epoch: '3/12', loss: '0.1234', rate: 12.34 });
    clock.advance(10_000);
    p.update(200, { epoch: '6/12', loss: '0.0987', rate: 12.5 }); // 100 steps in 10 s: 200 left -> 20 s
    p.stop();
    expect(out.text()).toContain('srad BGA [############------------] 200/400 50% | 13 img/s | ETA 20s | epoch 6/12 | loss 0.0987');
  });

  it('is an honest counter when the total is unknown (a list streamed on stdin)', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ label: 'infer', json: false, unit: 'img', stream: out.stream, env: {}, now: clock.now });
    p.update(1);
    clock.advance(2000);
    p.update(9);
    p.stop();
    const text = out.text();
    expect(text).toContain('infer 9 img | 4.0 img/s | elapsed 2s');
    expect(text).not.toMatch(/\d+\/\d+|%|\[#/); // no made-up total, no full bar
  });

  it('redraws at most every redraw interval on a terminal, but always draws the final state', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ label: 'x', json: false, total: 1000, stream: out.stream, env: {}, now: clock.now, redrawIntervalMs: 100 });
    for (let i = 1; i <= 1000; i++) {
      clock.advance(1); // 1 s in all: about 10 redraws, not 1000
      p.update(i);
    }
    p.stop();
    const frames = out.text().split('\r').filter((f) => f !== '');
    expect(frames.length).toBeGreaterThan(5);
    expect(frames.length).toBeLessThan(20);
    expect(frames[frames.length - 1]).toMatch(/^x \[#+\] 1000\/1000 100% \| elapsed 1s/);
  });

  it('TERM=dumb: plain lines now and then, no escape codes and no carriage returns', () => {
    const out = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ label: 'train', json: false, total: 100, unit: 'img', stream: out.stream, env: { TERM: 'dumb' }, now: clock.now, lineIntervalMs: 10_000 });
    expect(p.mode).toBe('lines');
    for (let i = 1; i <= 100; i++) {
      clock.advance(500); // 50 s in all: a line every 10 s
      p.update(i);
    }
    p.log('a warning');
    p.stop();
    const text = out.text();
    expect(text).not.toContain(ESC);
    expect(text).not.toContain('\r');
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines[0]).toBe('train 1/100 1% | elapsed 1s');
    // The final state is printed as soon as it is reached; a message after it is a line of its own.
    expect(lines.slice(-2)).toEqual(['train 100/100 100% | 2.0 img/s | elapsed 50s', 'a warning']);
  });

  it('prints nothing off a terminal, under --json, --quiet or MADENET_NO_PROGRESS; MADENET_PROGRESS=lines and --verbose write lines to a log', () => {
    const cases: [boolean, NodeJS.ProcessEnv, boolean, 'quiet' | 'normal' | 'verbose', string][] = [
      [false, {}, false, 'normal', 'off'],
      [true, {}, true, 'normal', 'off'],
      [true, { MADENET_NO_PROGRESS: '1' }, false, 'normal', 'off'],
      [true, {}, false, 'quiet', 'off'],
      [false, { MADENET_PROGRESS: 'lines' }, false, 'normal', 'lines'],
      [false, {}, false, 'verbose', 'lines'],
      [true, { MADENET_NO_PROGRESS: '0' }, false, 'normal', 'bar'],
    ];
    for (const [tty, env, json, verbosity, mode] of cases) {
      setProgressVerbosity(verbosity);
      const out = fakeStream(tty);
      const p = createProgress({ label: 'x', json, total: 3, stream: out.stream, env });
      expect([JSON.stringify({ tty, env, json, verbosity }), p.mode]).toEqual([JSON.stringify({ tty, env, json, verbosity }), mode]);
      p.update(1);
      p.update(3);
      p.stop();
      if (mode === 'off') expect(out.text()).toBe('');
      else expect(out.text()).toContain('x');
      if (mode === 'lines') expect(out.text()).not.toContain(ESC);
    }
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect([formatDuration(0), formatDuration(42.4), formatDuration(75), formatDuration(3725), formatDuration(Number.NaN)]).toEqual(['0s', '42s', '1m15s', '1h02m', '?']);
  });
});
