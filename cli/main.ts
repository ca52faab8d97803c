/**
 * `graphflow`: the command-line client of the graphflow API (package bin, cli/graphflow.js). Each command is a
 * module under commands/; this file only declares them, and turns every ending into a message and an exit code.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { connect } from './api';
import { CliError, EXIT, ExitWith } from './errors';
import { helpEpilogue, OVERVIEW } from './help';
import { consoleOutput as out } from './output';
import { confirmOnStdin } from './prompt';

// Commands load when run: `--help` or `runs list` never load the definition validator (and its engine) they do not use.
const commands = {
  approve: () => import('./commands/approve'),
  export: () => import('./commands/export'),
  import: () => import('./commands/import'),
  login: () => import('./commands/login'),
  publish: () => import('./commands/publish'),
  run: () => import('./commands/run'),
  runsList: () => import('./commands/runs-list'),
  validate: () => import('./commands/validate'),
};

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function program(): Command {
  const cli = new Command('graphflow')
    .description(OVERVIEW)
    .version(version)
    .showHelpAfterError('(graphflow --help lists the commands)')
    .addHelpText('after', helpEpilogue())
    .exitOverride();

  cli
    .command('login')
    .description('store the server URL and an API key (checked against the server first)')
    .requiredOption('--url <url>', "the server's root, e.g. http://127.0.0.1:3000")
    .requiredOption('--key <key>', 'an API key; "-" reads it from stdin')
    .option('--no-check', 'store without asking the server')
    .action(async (options: { url: string; key: string; check: boolean }) =>
      (await commands.login()).loginCommand(options, out),
    );

  cli
    .command('logout')
    .description('forget the stored credentials')
    .action(async () => (await commands.login()).logoutCommand(out));

  cli
    .command('validate')
    .description(
      'check definition files (JSON or YAML; a folder: every file in it) without a server; every problem is printed with its path, exit 1 if any',
    )
    .argument('<file-or-dir...>')
    .action(async (targets: string[]) => (await commands.validate()).validateCommand(targets, out));

  cli
    .command('publish')
    .description(
      "create or update each file's workflow and publish it, after showing a diff against the latest published version",
    )
    .argument('<file-or-dir...>')
    .option('-y, --yes', 'publish without asking')
    .option('--dry-run', 'show the diff and change nothing')
    .option('-m, --message <text>', 'the change description of the new versions')
    .action(async (targets: string[], options: { yes?: boolean; dryRun?: boolean; message?: string }) =>
      (await commands.publish()).publishCommand(connect(), targets, options, out, confirmOnStdin),
    );

  cli
    .command('run')
    .description('start a run of a published workflow (by name or id)')
    .argument('<workflow>')
    .option('-i, --input <file>', "the run's input (JSON or YAML)")
    .option('-w, --watch', "follow the run: its steps, awaited approvals and result; the exit code is the run's status")
    .option('--workflow-version <n>', 'run this published version rather than the latest')
    .addOption(new Option('--priority <priority>').choices(['low', 'normal', 'high', 'critical']))
    .option('--idempotency-key <key>', 'start at most one run for this key (retries answer the first run)')
    .option('--interval <ms>', 'how often --watch asks for news', '500')
    .action(async (workflow: string, options: Record<string, string | boolean | undefined>) =>
      (await commands.run()).runCommand(connect(), workflow, options, out),
    );

  const runs = cli.command('runs').description("runs of the tenant's workflows");
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--workflow <workflow>', 'only runs of this workflow (name or id)')
    .addOption(
      new Option('--status <status>').choices(['pending', 'running', 'paused', 'completed', 'failed', 'cancelled']),
    )
    .option('--limit <n>', 'how many (1-500)', '20')
    .option('--json', 'print the runs as JSON')
    .action(async (options: { workflow?: string; status?: string; limit?: string; json?: boolean }) =>
      (await commands.runsList()).runsListCommand(connect(), options, out),
    );

  cli
    .command('approve')
    .description('decide an approval (its id is shown by run --watch and the console)')
    .argument('<approval-id>')
    .requiredOption('-d, --decision <decision>', "approved, rejected, or one of the node's own outcomes")
    .option('-c, --comment <text>', 'a comment kept with the decision')
    .option('--data <file>', "the approval form's fields (JSON or YAML)")
    .action(async (id: string, options: { decision: string; comment?: string; data?: string }) =>
      (await commands.approve()).approveCommand(connect(), id, options, out),
    );

  cli
    .command('export')
    .description('write each workflow (all, or those named) with its draft and every published version to DIR')
    .argument('[workflow...]')
    .requiredOption('-o, --out <dir>', 'the folder to write to (made if missing)')
    .action(async (refs: string[], options: { out: string }) =>
      (await commands.export()).exportCommand(connect(), refs, options.out, out),
    );

  cli
    .command('import')
    .description(
      'recreate the workflows graphflow export wrote to DIR, versions included; names the tenant has already are left alone',
    )
    .argument('<dir>')
    .action(async (dir: string) => (await commands.import()).importCommand(connect(), dir, out));

  return cli;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ExitWith) return error.exitCode;
    if (error instanceof CliError) {
      out.error(`graphflow: ${error.message}`);
      for (const detail of error.details) out.error(`  ${detail}`);
      return error.exitCode;
    }
    // Commander has printed its own message (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    out.error(`graphflow: unexpected error: ${(error as Error)?.message ?? String(error)}`);
    if (process.env.GRAPHFLOW_DEBUG) out.error((error as Error)?.stack ?? '');
    return EXIT.failure;
  }
}

process.exitCode = await main(process.argv);
