/**
 * POST /api/workflows/:id/simulate: a dry run of the draft (or a published version) with scripted decisions,
 * responses and form data, on a simulated clock. It reads the workflow and the tenant's variables, and nothing else:
 * no run row, no Temporal workflow, no request, email or Slack message. The designer's preview calls it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseGraph, type TypedGraph } from '../../interpreter/graph';
import type { Definition } from '../../interpreter/schema';
import { validateDefinition } from '../../interpreter/validate';
import { stableHash } from '../../lib/canonical-json';
import { InvalidDefinition, InvalidInput, NotFound, type Problem } from '../../lib/domain-errors';
import { checkInput } from '../../runs/input-schema';
import { findVersion } from '../../runs/pin';
import { tenantVariables } from '../../runs/start';
import { checkScript } from '../../simulation/check-script';
import { simulate, SimulationLimit } from '../../simulation/simulate';
import { type Caller, callerOf } from '../auth';
import { HttpProblem } from '../errors';
import { uuidOf } from '../params';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { SimulateBody, SimulationReport } from '../schemas/simulation';
import { getWorkflow, validateWorkflow, type WorkflowRow } from '../services/definitions';

const IdParams = z.object({ id: uuidOf('a workflow') });

interface Simulated {
  definition: Definition;
  graph: TypedGraph;
  /** Names the input schema's compiled validator. */
  schemaKey: string;
}

export const simulateRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  /** The draft, validated as publish would (a draft publish would refuse is not simulated: 422 with its problems). */
  async function draftOf(caller: Caller, workflow: WorkflowRow): Promise<Simulated> {
    const result = await validateWorkflow(db, caller, workflow, { maxGraphWork: app.config.maxGraphWork });
    if (!result.valid || !result.definition || !result.graph)
      throw new InvalidDefinition(
        `The draft has ${result.errors.length} problem(s) publishing would refuse; fix them before simulating it.`,
        result.errors,
      );
    const schemaKey = `draft:${stableHash(result.definition.inputSchema ?? null)}`;
    return { definition: result.definition, graph: result.graph, schemaKey };
  }

  /** A published version as a run of it would read it: parsed, not validated again by today's rules. */
  async function versionOf(caller: Caller, workflow: WorkflowRow, n: number): Promise<Simulated> {
    const row = await findVersion(db, caller.tenantId, workflow.id, n);
    if (!row) throw new NotFound('Version', `${workflow.id}/${n}`);
    const { definition } = validateDefinition(row.workflowData);
    const parsed = definition ? parseGraph(definition) : undefined;
    if (!definition || !parsed?.ok) {
      const problems = parsed && !parsed.ok ? parsed.problems : [];
      throw new InvalidDefinition(`Version ${n} no longer parses; it cannot be simulated.`, problems);
    }
    return { definition, graph: parsed.graph, schemaKey: row.contentHash };
  }

  app.post(
    '/api/workflows/:id/simulate',
    {
      schema: {
        operationId: 'simulateWorkflow',
        summary: 'Dry-run the draft or a version on a simulated clock; nothing is sent, stored or started',
        tags: ['definitions'],
        params: IdParams,
        body: SimulateBody,
        response: withProblems(
          { 200: answer('How the run would go: its status, output, path, events and waits', SimulationReport) },
          [404, 422, ...JSON_BODY],
        ),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const body = request.body ?? {};
      const workflow = await getWorkflow(db, caller, request.params.id);
      const target =
        body.version === undefined ? await draftOf(caller, workflow) : await versionOf(caller, workflow, body.version);
      // Run input is JSON, as a started run's is.
      const input: unknown = JSON.parse(JSON.stringify(body.input ?? {}));
      const problems: Problem[] = [
        ...checkInput(target.definition.inputSchema, input, target.schemaKey).map((p) => ({
          ...p,
          path: `body.${p.path}`,
        })),
        ...checkScript(target.graph, body),
      ];
      if (problems.length)
        throw new InvalidInput(
          `The simulation request has ${problems.length} problem(s); nothing was simulated.`,
          problems,
        );
      try {
        const result = await simulate({
          definition: target.definition,
          input,
          script: body,
          ...(body.startAt ? { startAt: Date.parse(body.startAt) } : {}),
          variables: await tenantVariables(db, caller.tenantId),
          run: {
            workflowId: workflow.id,
            workflowName: workflow.name,
            version: body.version ?? 0,
            triggeredBy: caller.userId,
          },
        });
        return { workflowId: workflow.id, version: body.version ?? null, ...result };
      } catch (error) {
        if (error instanceof SimulationLimit)
          throw new HttpProblem(422, 'simulation-limit', `The simulation was stopped: ${error.message}`, [
            { path: '', message: error.message },
          ]);
        throw error;
      }
    },
  );
};
