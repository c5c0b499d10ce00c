// The README's cron recipe (examples/cron/madenet-nightly.sh) run for real on a temp folder, with a stand-in for
// the madenet binary that records the list it is given, lets an image arrive while it "runs", and exits with the
// status the scenario asks for. What is checked is the recipe's own logic: no image is ever left unlisted.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const recipe = join(root, 'examples', 'cron', 'madenet-nightly.sh');

// Records argv and the stdin list of each call, creates one new image "during" the run, exits with the next planned status.
const FAKE_MADENET = `#!/usr/bin/env bash
n=$(ls "$CALLS" | wc -l)
printf '%s\\n' "$@" > "$CALLS/args-$n.txt"
cat > "$CALLS/list-$n.txt"
touch "$INCOMING/arrived-during-$n.png"
status=$(sed -n "$((n / 2 + 1))p" "$PLAN")
exit "\${status:-0}"
`;

interface World {
  dir: string;
  env: NodeJS.ProcessEnv;
  incoming: string;
  calls: string;
  plan: string;
  stamp: string;
  notified: string;
}

async function world(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'madenet-cron-'));
  const incoming = join(dir, 'incoming');
  const calls = join(dir, 'calls');
  await mkdir(join(incoming, 'lot1'), { recursive: true });
  await mkdir(calls);
  const fake = join(dir, 'madenet');
  await writeFile(fake, FAKE_MADENET);
  await chmod(fake, 0o755);
  const notified = join(dir, 'notified');
  const notify = join(dir, 'notify');
  await writeFile(notify, `#!/bin/sh\necho paged >> "${notified}"\n`);
  await chmod(notify, 0o755);
  const plan = join(dir, 'plan');
  const state = join(dir, 'state');
  const env = { ...process.env, INCOMING: incoming, STATE: state, PERFMAP: join(dir, 'perfmap'), PREDICTIONS: join(dir, 'pred'), MADENET: fake, NOTIFY: notify, CALLS: calls, PLAN: plan };
  return { dir, env, incoming, calls, plan, stamp: join(state, 'last-run'), notified };
}

function runRecipe(w: World): Promise<number> {
  return new Promise((resolve) => {
    execFile('bash', [recipe], { env: w.env }, (error) => resolve(error ? Number((error as { code?: number }).code ?? 1) : 0));
  });
}

/** Longer than the recipe's one-second overlap, within which images are listed by two runs. */
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 1100));

async function listOf(w: World, run: number): Promise<string[]> {
  const text = await readFile(join(w.calls, `list-${run * 2}.txt`), 'utf8');
  return text.split('\n').filter((l) => l !== '').map((p) => p.slice(w.incoming.length + 1)).sort();
}

describe('examples/cron/madenet-nightly.sh', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  afterEach(async () => rm(w.dir, { recursive: true, force: true }));

  it('lists everything the first time, then only what is new, including images that arrived during the last run', async () => {
    await writeFile(join(w.incoming, 'a.png'), '');
    await writeFile(join(w.incoming, 'lot1', 'b.png'), '');
    await writeFile(join(w.incoming, 'notes.txt'), '');
    await writeFile(w.plan, '0\n0\n');
    await pause(); // older than the one-second overlap of the first stamp
    expect(await runRecipe(w)).toBe(0);
    expect(await listOf(w, 0)).toEqual(['a.png', 'lot1/b.png']);
    const args = (await readFile(join(w.calls, 'args-0.txt'), 'utf8')).split('\n');
    expect(args.slice(0, 3)).toEqual(['infer', '--perfmap', w.env.PERFMAP]);
    expect(args).toEqual(expect.arrayContaining(['--input', '-', '--resume', '--fail-on-anomaly', '--quiet']));
    // Later than the stamp's one-second overlap, so that the second run's list shows only what is new.
    await pause();
    await writeFile(join(w.incoming, 'c.png'), '');
    expect(await runRecipe(w)).toBe(0);
    expect(await listOf(w, 1)).toEqual(['arrived-during-0.png', 'c.png']);
  });

  it('keeps the stamp when infer fails, so the next run lists the same images again', async () => {
    await writeFile(w.plan, '0\n1\n75\n0\n');
    expect(await runRecipe(w)).toBe(0);
    const stamped = (await stat(w.stamp)).mtimeMs;
    await pause();
    await writeFile(join(w.incoming, 'd.png'), '');
    expect(await runRecipe(w)).toBe(1);
    expect((await stat(w.stamp)).mtimeMs).toBe(stamped);
    expect(await runRecipe(w)).toBe(75); // busy: also no progress
    expect((await stat(w.stamp)).mtimeMs).toBe(stamped);
    expect(await runRecipe(w)).toBe(0);
    const retried = await listOf(w, 3);
    expect(retried).toEqual(expect.arrayContaining(['d.png', 'arrived-during-0.png', 'arrived-during-2.png', 'arrived-during-4.png']));
    expect((await stat(w.stamp)).mtimeMs).toBeGreaterThan(stamped);
    expect((await readdir(join(w.dir, 'state'))).sort()).toEqual(['last-run']); // no next-run.* left behind
  });

  it('pages and moves the stamp on exit status 3 (done, anomalies found)', async () => {
    await writeFile(join(w.incoming, 'e.png'), '');
    await writeFile(w.plan, '3\n');
    await pause();
    expect(await runRecipe(w)).toBe(3);
    expect(await readFile(w.notified, 'utf8')).toBe('paged\n');
    await pause();
    await writeFile(w.plan, '3\n0\n');
    expect(await runRecipe(w)).toBe(0);
    expect(await listOf(w, 1)).toEqual(['arrived-during-0.png']);
  });
});
