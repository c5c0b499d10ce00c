// examples/slurm/submit.sh with a stand-in `sbatch` on the PATH that records each submission: one sorted list
// written before anything is submitted, an array of N shard tasks reading it, and a merge that waits for them all.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useTempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const slurm = join(root, 'examples', 'slurm');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('examples/slurm', () => {
  const tmp = useTempDir('madenet-slurm-');

  it('lists once, submits an array of shards over that list and an afterok merge; refuses a second submit of a batch', async () => {
    const images = join(tmp.path, 'images');
    await mkdir(join(images, 'b'), { recursive: true });
    for (const f of ['b/2.png', 'a.png', 'b/1.jpg', 'notes.txt']) await writeFile(join(images, f), '');
    const bin = join(tmp.path, 'bin');
    await mkdir(bin);
    const log = join(tmp.path, 'sbatch.log');
    await writeFile(join(bin, 'sbatch'), `#!/bin/sh\necho "$*" >> "${log}"\nn=$(wc -l < "${log}")\necho "100$n"\n`);
    await chmod(join(bin, 'sbatch'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const batch = join(tmp.path, 'batch');
    const r = await run('bash', [join(slurm, 'submit.sh'), images, batch, '4'], env);
    expect(r.code).toBe(0);
    expect(await readFile(join(batch, 'list.txt'), 'utf8')).toBe(['a.png', 'b/1.jpg', 'b/2.png'].map((f) => `${join(images, f)}\n`).join(''));
    expect((await readFile(join(batch, 'shards'), 'utf8')).trim()).toBe('4');
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    expect(calls).toEqual([`--parsable --array=0-3 ${join(slurm, 'infer-array.sh')} ${batch}`, `--dependency=afterok:1001 ${join(slurm, 'merge.sh')} ${batch}`]);
    const again = await run('bash', [join(slurm, 'submit.sh'), images, batch, '4'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('was submitted before');
  });

  it('each array task reads the batch list on stdin with its own --shard K/N and --resume', async () => {
    const batch = join(tmp.path, 'task');
    await mkdir(batch);
    await writeFile(join(batch, 'list.txt'), '/x/1.png\n/x/2.png\n');
    await writeFile(join(batch, 'shards'), '2\n');
    const fake = join(tmp.path, 'madenet');
    await writeFile(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(tmp.path, 'args.txt')}"\ncat > "${join(tmp.path, 'stdin.txt')}"\n`);
    await chmod(fake, 0o755);
    const r = await run('bash', [join(slurm, 'infer-array.sh'), batch], { ...process.env, MADENET: fake, PERFMAP: '/p', SLURM_ARRAY_TASK_ID: '1', SLURM_CPUS_PER_TASK: '4' });
    expect(r.code).toBe(0);
    const args = (await readFile(join(tmp.path, 'args.txt'), 'utf8')).trim().split('\n');
    expect(args).toEqual(['infer', '--perfmap', '/p', '--input', '-', '--out', join(batch, 'shard-1'), '--shard', '1/2', '--threads', '4', '--resume', '--skip-bad-images', '--verbose']);
    expect(await readFile(join(tmp.path, 'stdin.txt'), 'utf8')).toBe('/x/1.png\n/x/2.png\n');
  });
});
