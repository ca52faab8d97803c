/**
 * The workflow bundle carries only what runGraph runs: the Temporal SDK evaluates its modules again for every run it
 * holds in its cache, so a library there costs memory and CPU per run. zod (the API's and publish's validator) cost
 * about 3.7 MB and a fifth of the workflow thread's CPU per cached run before the engine read nodes without it
 * (interpreter/node-reader.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';

/** The modules webpack put in the bundle, by path (`./interpreter/graph.ts`, `./node_modules/re2js/…`). */
function bundledModules(code: string): string[] {
  return [...code.matchAll(/!\*\*\* (\S+) \*\*\*!/g)].map((match) => match[1]!);
}

describe('the workflow bundle', () => {
  it('holds no zod, nor any module of the validator, the API or the database', () => {
    const modules = bundledModules(readFileSync(inject('workflowBundlePath'), 'utf8'));
    expect(modules).toContain('./interpreter/engine.ts');
    const packages = new Set(modules.flatMap((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m)?.[1] ?? []));
    expect([...packages].sort()).toEqual([
      '@temporalio/common',
      '@temporalio/workflow',
      'long',
      'ms',
      'nexus-rpc',
      're2js',
    ]);
    const validatorSide = ['validate', 'node-model', 'schema', 'form-schema', 'graph-work', 'integrations'];
    expect(modules.filter((m) => validatorSide.some((name) => m === `./interpreter/${name}.ts`))).toEqual([]);
    expect(modules.filter((m) => /^\.\/(api|db|activities)\//.test(m))).toEqual([]);
  });
});
