/** `graphflow login --url URL --key KEY` and `graphflow logout`: the credentials every other command uses. */
import { readFileSync } from 'node:fs';
import { connect, expectOk } from '../api';
import { credentialsFile, removeCredentials, saveCredentials, serverUrl } from '../credentials';
import { CliError } from '../errors';
import type { Output } from '../output';

export interface LoginOptions {
  url: string;
  key: string;
  /** false with --no-check: store without asking the server (it may not be up yet). */
  check: boolean;
}

export async function loginCommand(options: LoginOptions, out: Output): Promise<void> {
  const url = serverUrl(options.url);
  // `--key -` reads the key from stdin, so it stays out of the shell's history and the process list.
  const key = (options.key === '-' ? readFileSync(0, 'utf8') : options.key).trim();
  if (!key) throw new CliError('the key is empty');
  if (options.check) {
    await expectOk(
      `checking the key against ${url}`,
      connect({ url, key }).api.GET('/api/workflows', { params: { query: { limit: 1 } } }),
    );
  }
  const file = saveCredentials({ url, key });
  out.line(`logged in to ${url}; credentials stored in ${file} (readable by you only)`);
  if (process.env.GRAPHFLOW_URL || process.env.GRAPHFLOW_API_KEY)
    out.line('note: GRAPHFLOW_URL / GRAPHFLOW_API_KEY are set and take precedence over the stored credentials');
}

export function logoutCommand(out: Output): void {
  out.line(removeCredentials() ? `logged out: ${credentialsFile()} removed` : 'not logged in: no stored credentials');
}
