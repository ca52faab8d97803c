/** Services refuse in the domain's words; the API answers each refusal with the status and body it always has. */
import { describe, expect, it } from 'vitest';
import { Conflict, Forbidden, InvalidDefinition, InvalidInput, NotFound, Unavailable } from '../lib/domain-errors';
import { HttpProblem, problemOf, toProblem } from './errors';

describe('problemOf', () => {
  it('maps every domain error to its status, type and members', () => {
    expect(problemOf(new NotFound('Workflow', 'w-1')).toBody()).toEqual({
      type: 'https://graphflow.dev/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'Workflow "w-1" was not found',
    });
    expect(problemOf(new Forbidden('not yours')).toBody()).toMatchObject({
      status: 403,
      type: 'https://graphflow.dev/problems/forbidden',
      detail: 'not yours',
    });
    expect(problemOf(new Conflict('used before', { runId: 'run-1' })).toBody()).toEqual({
      type: 'https://graphflow.dev/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'used before',
      runId: 'run-1',
    });
    expect(problemOf(new InvalidInput('bad', [{ path: 'input.a', message: 'required' }])).toBody()).toEqual({
      type: 'https://graphflow.dev/problems/invalid-request',
      title: 'Bad Request',
      status: 400,
      detail: 'bad',
      errors: [{ path: 'input.a', message: 'required' }],
    });
    expect(
      problemOf(new InvalidDefinition('2 problems', [{ path: 'nodes', message: 'x' }], { warnings: [] })).toBody(),
    ).toMatchObject({
      status: 422,
      type: 'https://graphflow.dev/problems/invalid-definition',
      errors: [{ path: 'nodes', message: 'x' }],
      warnings: [],
    });
    expect(problemOf(new Unavailable('temporal', 'away')).toBody()).toMatchObject({
      status: 503,
      type: 'https://graphflow.dev/problems/temporal-unavailable',
      detail: 'away',
    });
    expect(problemOf(new Unavailable('temporal', 'not synced', 'schedules-not-synced')).toBody()).toMatchObject({
      status: 503,
      type: 'https://graphflow.dev/problems/schedules-not-synced',
    });
  });

  it('a refusal cannot forge the status of its answer', () => {
    expect(problemOf(new Conflict('closed', { status: 'cancelled' })).toBody().status).toBe(409);
  });

  it('leaves anything that is not a refusal as it was', () => {
    const bug = new TypeError('boom');
    expect(toProblem(bug)).toBe(bug);
    const problem = new HttpProblem(418, 'teapot', 'short and stout');
    expect(toProblem(problem)).toBe(problem);
    expect(toProblem(new NotFound('Run', 'r'))).toBeInstanceOf(HttpProblem);
  });
});
