// `npm install` builds dist/ (the prepare script) even where npm dropped the optional onnxruntime-node (its
// postinstall fails offline without ONNXRUNTIME_NODE_INSTALL=skip): tsconfig.build.json then resolves the package's
// types to src/pipeline/engines/onnxruntime-node.fallback.d.ts. Checked by type-checking the build with the real
// package's path replaced by one that does not exist.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useTempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function tsc(project: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--noEmit'], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe('the build without onnxruntime-node', () => {
  const tmp = useTempDir('madenet-build-check-');

  it('type-checks against the declared fallback, and the build config lists the real package first', async () => {
    const build = JSON.parse(await readFile(join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    const paths = build.compilerOptions.paths['onnxruntime-node'] as string[];
    expect(paths).toEqual(['./node_modules/onnxruntime-node/dist/index.d.ts', './src/pipeline/engines/onnxruntime-node.fallback.d.ts']);
    const config = join(tmp.path, 'tsconfig.json');
    await writeFile(
      config,
      JSON.stringify({
        extends: join(root, 'tsconfig.build.json'),
        compilerOptions: {
          // Type libraries are looked up from the config's folder: point at the clone's.
          typeRoots: [join(root, 'node_modules', '@types')],
          paths: { 'onnxruntime-node': [join(root, 'node_modules', 'no-such-package', 'index.d.ts'), join(root, 'src', 'pipeline', 'engines', 'onnxruntime-node.fallback.d.ts')] },
        },
        include: [join(root, 'src', '**', '*.ts')],
      }),
    );
    const r = await tsc(config);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  }, 240_000);
});
