/** The text `graphflow --help` ends with: what a README would say about the CLI, where a user looks first. */
import { credentialsFile } from './credentials';
import { EXIT } from './errors';

export const OVERVIEW =
  'Drive graphflow from a terminal or CI: keep workflow definitions as JSON or YAML files, validate and publish them, start and watch runs, decide approvals, export and import workflows.';

export function helpEpilogue(): string {
  return `
Getting started:
  graphflow login --url http://127.0.0.1:3000 --key gf_…   store the server and an API key (checked first)
  graphflow validate workflows/                           check every definition file, offline
  graphflow publish workflows/ --dry-run                  show what would change on the server
  graphflow publish workflows/ --yes                      create or update and publish each workflow
  graphflow run "Purchase approval" --input order.yaml --watch
  graphflow approve <approval id> --decision approved --comment "within budget"

Definition files (JSON or YAML, one workflow each):
  name, description, category, tags, isTemplate and an optional id (the workflow's UUID on the server), beside
  the graph (nodes, edges, inputSchema, configuration), as in examples/; or the graph under "definition", as
  graphflow export writes it. A file is matched to a workflow by its id, else by its exact name.

Credentials:
  ${credentialsFile()} (mode 0600), written by login and removed by logout.
  GRAPHFLOW_URL and GRAPHFLOW_API_KEY, when set, take precedence over the file.

Exit codes:
  ${EXIT.ok}   success (run --watch: the run completed)
  ${EXIT.failure}   failure: the API refused (its problem and every listed error are printed), a definition is
      invalid, the server is unreachable, a publish was not confirmed, or the watched run failed
  ${EXIT.runNotCompleted}   run --watch: the run ended otherwise (cancelled)
  ${EXIT.usage}  the command line is wrong (unknown command or option, missing argument)

Set GRAPHFLOW_DEBUG=1 to see a stack trace for an unexpected error.`;
}
