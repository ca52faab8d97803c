/**
 * `npm start`, `npm run api` and `npm run worker` run their entry bundled into .data/build/ by scripts/run-compiled.js:
 * built once per version of the sources, with each source's own `import.meta.url` and the command line it would see
 * run directly. (npm-start.test.ts runs main.ts itself that way.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config';

// Inside the project, as main.ts is: the bundle imports packages from the project's node_modules.
const dir = path.join(projectRoot, '.data', 'test', `run-compiled-${process.pid}`);
const entry = path.join(dir, 'entry.ts');
const part = path.join(dir, 'part.ts');
const bundle = path.join(
  projectRoot,
  '.data',
  'build',
  `${path.relative(projectRoot, entry).replace(/[/\\]/g, '-')}.mjs`,
);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundle, { force: true });
  rmSync(`${bundle}.inputs.json`, { force: true });
});

const run = (...args: string[]) =>
  execFileSync(process.execPath, [path.join(projectRoot, 'scripts', 'run-compiled.js'), entry, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
  });

describe('run-compiled', () => {
  it('runs an entry from its bundle, rebuilt only when a source it is made of changes', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(part, "export const word: string = 'first';\n");
    writeFileSync(
      entry,
      [
        "import { fileURLToPath } from 'node:url';",
        "import { z } from 'zod';",
        "import { word } from './part';",
        'const isMain = process.argv[1] === fileURLToPath(import.meta.url);',
        'console.log(JSON.stringify({ word: z.string().parse(word), isMain, args: process.argv.slice(2) }));',
        '',
      ].join('\n'),
    );

    expect(JSON.parse(run('--flag'))).toEqual({ word: 'first', isMain: true, args: ['--flag'] });
    const built = statSync(bundle).mtimeMs;

    expect(JSON.parse(run())).toMatchObject({ word: 'first' });
    expect(statSync(bundle).mtimeMs).toBe(built);

    writeFileSync(part, "export const word: string = 'second';\n");
    expect(JSON.parse(run())).toMatchObject({ word: 'second' });
    expect(existsSync(`${bundle}.inputs.json`)).toBe(true);
  });
});
