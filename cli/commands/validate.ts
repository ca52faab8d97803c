/** `graphflow validate FILE…`: every problem of each definition, with its path, before anything reaches a server. */
import { checkDefinition } from '../check-definition';
import { definitionFiles, readWorkflowFile } from '../definition-file';
import { ExitWith, EXIT } from '../errors';
import type { Output } from '../output';

export function validateCommand(targets: string[], out: Output): void {
  let invalid = 0;
  for (const file of targets.flatMap(definitionFiles)) {
    const { workflow, problems } = readWorkflowFile(file);
    const report = workflow ? checkDefinition(workflow) : { errors: problems, warnings: [] };
    for (const w of report.warnings) out.line(`${file}: warning: ${w.path}: ${w.message}`);
    if (!report.errors.length) {
      out.line(`${file}: valid${workflow ? ` (${workflow.name})` : ''}`);
      continue;
    }
    invalid++;
    out.error(`${file}: ${report.errors.length} problem(s)`);
    for (const e of report.errors) out.error(`  ${e.path}: ${e.message}`);
  }
  if (invalid) throw new ExitWith(EXIT.failure);
}
