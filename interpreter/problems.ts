/** A problem with a definition, and where it is: what validation and the run-start parse report. */

export interface Problem {
  /** Where: `nodes[2].data.url`, `edges[0].target`, or `` for the whole definition. */
  path: string;
  message: string;
}

export function formatPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? String(s) : `.${String(s)}`;
  }
  return out;
}
