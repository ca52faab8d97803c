/**
 * Where the CLI keeps the server's URL and an API key: one JSON file readable by its owner only (0600, in a 0700
 * folder), under $XDG_CONFIG_HOME/graphflow or ~/.config/graphflow. GRAPHFLOW_URL and GRAPHFLOW_API_KEY override it,
 * each on its own, so CI can run without a file.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from './errors';

export interface Credentials {
  url: string;
  key: string;
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'graphflow', 'credentials.json');
}

/** The server's root: an http(s) URL with no trailing slash (the client adds /api/… itself). */
export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`"${text}" is not a URL`, ["give the server's root, e.g. --url http://127.0.0.1:3000"]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`"${text}" is not an http or https URL`);
  if (url.username || url.password)
    throw new CliError('the URL must not carry a user name or password: give the API key with --key');
  return url.toString().replace(/\/+$/, '');
}

function storedCredentials(file: string): Partial<Credentials> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<Credentials>;
    return {
      ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}),
      ...(typeof parsed.key === 'string' ? { key: parsed.key } : {}),
    };
  } catch {
    throw new CliError(`${file} is not valid JSON`, ['run graphflow login again to rewrite it']);
  }
}

/** The URL and key to use: the environment's first, then the file's. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const stored = storedCredentials(credentialsFile(env));
  const url = env.GRAPHFLOW_URL || stored.url;
  const key = env.GRAPHFLOW_API_KEY || stored.key;
  if (!url || !key) {
    throw new CliError('not logged in', [
      'run graphflow login --url URL --key KEY, or set GRAPHFLOW_URL and GRAPHFLOW_API_KEY',
    ]);
  }
  return { url: serverUrl(url), key };
}

export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written whole under another name, then renamed: a reader never sees half a file, and the key never sits in a
  // file with looser permissions, not even for a moment (mode applies at creation; chmod covers a leftover).
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
  return file;
}

/** Forgets the stored credentials; false when there were none. */
export function removeCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = credentialsFile(env);
  try {
    rmSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new CliError(`cannot remove ${file}: ${(error as Error).message}`);
  }
}
