/**
 * What can end a command, and the exit code each ending has. Every failure the CLI knows of is a CliError; the
 * entry point prints its message (never a stack) and exits with its code.
 */

/** Exit codes, as `graphflow --help` documents them. */
export const EXIT = {
  ok: 0,
  /** The API refused, a definition is invalid, the server is unreachable, or a watched run failed. */
  failure: 1,
  /** A watched run ended neither completed nor failed (cancelled, or a status this CLI does not know). */
  runNotCompleted: 2,
  /** The command line itself is wrong: unknown command or option, missing argument (sysexits' EX_USAGE). */
  usage: 64,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    /** Lines printed under the message: every problem with its path, or a hint. */
    readonly details: string[] = [],
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * A command that ran to its end but whose outcome is not success (a failed run, an invalid file): nothing more to
 * print.
 */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitWith';
  }
}
