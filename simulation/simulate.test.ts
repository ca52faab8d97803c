/** The dry run on its own: the engine through the simulated port, on the simulated clock. */
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../interpreter/graph';
import type { Definition } from '../interpreter/schema';
import { validateDefinition } from '../interpreter/validate';
import { checkScript } from './check-script';
import { SimulatedClock } from './clock';
import type { SimulationScript } from './script';
import { simulate, SimulationLimit } from './simulate';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function valid(definition: unknown): Definition {
  const result = validateDefinition(definition);
  expect(result.errors).toEqual([]);
  return result.definition!;
}

const run = (definition: unknown, script: SimulationScript = {}, input: unknown = {}) =>
  simulate({ definition: valid(definition), input, script, startAt: T0 });

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const end = (id: string, output?: unknown) => ({ id, type: 'end', data: output === undefined ? {} : { output } });
const edge = (source: string, target: string, sourceHandle?: string) => ({
  id: `${source}-${sourceHandle ?? 'out'}-${target}`,
  source,
  target,
  ...(sourceHandle ? { sourceHandle } : {}),
});

/** request → review; changes requested goes back to the requester's revision, which review sees again. */
const reviewCycle = {
  nodes: [
    trigger,
    {
      id: 'review',
      type: 'approval',
      data: { approverRoles: ['manager'], outcomes: ['approved', 'changes_requested'] },
    },
    {
      id: 'revise',
      type: 'approval',
      data: {
        approverRoles: ['requester'],
        outcomes: ['resubmitted'],
        form: { properties: { amount: { type: 'number', maximum: 1000 } }, required: ['amount'] },
      },
    },
    end('done', { amount: '{{ nodes.revise.output.data.amount }}', by: '{{ nodes.review.output.decidedBy }}' }),
  ],
  edges: [
    edge('t', 'review'),
    edge('review', 'revise', 'changes_requested'),
    edge('revise', 'review', 'resubmitted'),
    edge('review', 'done', 'approved'),
  ],
};

describe('simulate', () => {
  it('walks an approval cycle with a decision per visit and the form data of each', async () => {
    const result = await run(reviewCycle, {
      decisions: { review: ['changes_requested', { outcome: 'approved', after: '2h' }], revise: 'resubmitted' },
      data: { revise: { amount: 900 } },
    });
    expect(result.status).toBe('completed');
    expect(result.output).toEqual({ amount: 900, by: 'simulation' });
    expect(result.path.map((p) => [p.nodeId, p.visit, p.handle])).toEqual([
      ['t', 1, null],
      ['review', 1, 'changes_requested'],
      ['revise', 1, 'resubmitted'],
      ['review', 2, 'approved'],
      ['done', 1, null],
    ]);
    expect(result.path.at(-1)!.elapsedMs).toBe(2 * HOUR);
    expect(result.path[1]!.answer).toBe('scripted');
  });

  it('passes a delay of 3 days on the simulated clock at once', async () => {
    const started = Date.now();
    const result = await run({
      nodes: [trigger, { id: 'wait', type: 'delay', data: { duration: '3d' } }, end('done')],
      edges: [edge('t', 'wait'), edge('wait', 'done')],
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.status).toBe('completed');
    const done = result.path.find((p) => p.nodeId === 'done')!;
    expect(done.at).toBe(new Date(T0 + 3 * DAY).toISOString());
    expect(result.elapsedMs).toBe(3 * DAY);
  });

  it('reminds, escalates and expires an approval nobody decides, at their simulated times', async () => {
    const result = await run({
      nodes: [
        trigger,
        {
          id: 'ask',
          type: 'approval',
          data: {
            approverRoles: ['manager'],
            expiresIn: '3d',
            reminderEvery: '1d',
            escalation: { after: '36h', toRoles: ['director'] },
          },
        },
        end('late', 'expired'),
        end('ok', 'approved'),
      ],
      edges: [edge('t', 'ask'), edge('ask', 'late', 'expired'), edge('ask', 'ok', 'approved')],
    });
    expect(result).toMatchObject({ status: 'completed', output: 'expired', elapsedMs: 3 * DAY });
    expect(result.events.map((e) => [e.kind, e.elapsedMs])).toEqual([
      ['asked', 0],
      ['reminded', DAY],
      ['escalated', 36 * HOUR],
      ['reminded', 2 * DAY],
      ['expired', 3 * DAY],
    ]);
    expect(result.events[2]!.approverRoles).toEqual(['manager', 'director']);
    expect(result.path.find((p) => p.nodeId === 'ask')!.answer).toBe('expired');
  });

  it('reminds approvers before the due date of a task', async () => {
    const result = await run(
      {
        nodes: [trigger, { id: 'ask', type: 'approval', data: { approverRoles: ['manager'], dueIn: '2d' } }, end('ok')],
        edges: [edge('t', 'ask'), edge('ask', 'ok', 'approved')],
      },
      { decisions: { ask: { outcome: 'approved', after: '47h' } } },
    );
    // A quarter of the 2 days given, at most a day ahead: 12 hours before.
    expect(result.events.map((e) => [e.kind, e.elapsedMs])).toEqual([
      ['asked', 0],
      ['dueSoon', 36 * HOUR],
      ['decided', 47 * HOUR],
    ]);
  });

  it('stops and reports the wait when an approval has no decision and no expiry', async () => {
    const result = await run(reviewCycle, { decisions: { review: ['changes_requested'], revise: 'resubmitted' } });
    expect(result.status).toBe('waiting');
    expect(result.waits).toEqual([
      expect.objectContaining({ kind: 'approval', nodeId: 'review', stepKey: 'review:2', approverRoles: ['manager'] }),
    ]);
  });

  it('takes the error branch on a scripted error, after the retries in simulated time, and says which were defaults', async () => {
    const http = (id: string) => ({
      id,
      type: 'action',
      data: { action: 'http', url: 'http://127.0.0.1:9/x', retry: { maximumAttempts: 3, initialInterval: '10s' } },
    });
    const result = await run(
      {
        nodes: [
          trigger,
          http('first'),
          http('second'),
          end('ok', 'ok'),
          end('handled', '{{ nodes.second.error.message }}'),
        ],
        edges: [edge('t', 'first'), edge('first', 'second'), edge('second', 'ok'), edge('second', 'handled', 'error')],
      },
      { responses: { second: { error: 'the target answered 500' } } },
    );
    expect(result).toMatchObject({ status: 'completed', output: 'the target answered 500' });
    const [, first, second] = result.path;
    expect(first).toMatchObject({ answer: 'default', output: { status: 200, headers: {}, body: null } });
    expect(second).toMatchObject({ answer: 'scripted', handle: 'error', attempt: 3 });
    // 10 s, then 20 s between the three attempts.
    expect(result.elapsedMs).toBe(30_000);
  });

  it('lets other branches run on while one waits for good, then reports the wait', async () => {
    const result = await run({
      nodes: [
        trigger,
        { id: 'ask', type: 'approval', data: { approverRoles: ['manager'] } },
        { id: 'later', type: 'delay', data: { duration: '1d' } },
        { id: 'ping', type: 'action', data: { action: 'http', url: 'http://127.0.0.1:9/ping' } },
        end('done'),
        end('pinged'),
      ],
      edges: [
        edge('t', 'ask'),
        edge('t', 'later'),
        edge('later', 'ping'),
        edge('ping', 'pinged'),
        edge('ask', 'done', 'approved'),
      ],
    });
    expect(result.status).toBe('waiting');
    expect(result.path.find((p) => p.nodeId === 'ping')).toMatchObject({ status: 'completed', elapsedMs: DAY });
    expect(result.waits.map((w) => w.nodeId)).toEqual(['ask']);
  });

  it('refuses a simulation that goes past its step limit', async () => {
    const loop = {
      nodes: [trigger, { id: 'again', type: 'delay', data: { duration: '1m' } }],
      edges: [edge('t', 'again'), edge('again', 'again')],
    };
    await expect(
      simulate({ definition: valid(loop), input: {}, script: {}, startAt: T0, limits: { maxSteps: 50 } }),
    ).rejects.toBeInstanceOf(SimulationLimit);
  });

  it('refuses a simulation whose clock would pass the year 9999', async () => {
    const definition = valid({
      nodes: [trigger, { id: 'wait', type: 'delay', data: { duration: 'P9999999D' } }, end('done')],
      edges: [edge('t', 'wait'), edge('wait', 'done')],
    });
    await expect(simulate({ definition, input: {}, script: {}, startAt: T0 })).rejects.toThrow(/year 9999/);
  });
});

describe('checkScript', () => {
  it('lists every problem of a script at once', () => {
    const parsed = parseGraph(valid(reviewCycle));
    if (!parsed.ok) throw new Error('does not parse');
    const problems = checkScript(parsed.graph, {
      decisions: {
        nobody: 'approved',
        t: 'approved',
        review: ['approved', 'maybe', { outcome: 'expired' }],
        revise: 'resubmitted',
      },
      responses: { review: { status: 200 } },
      data: { done: {}, review: [{ x: 1 }], revise: { amount: 5000 } },
    });
    expect(problems.map((p) => p.path)).toEqual([
      'body.decisions.nobody',
      'body.decisions.t',
      'body.decisions.review[1]',
      'body.decisions.review[2]',
      'body.responses.review',
      'body.data.done',
      // review has no form; revise's amount is over the form's maximum.
      'body.data.review[0]',
      'body.data.revise.amount',
    ]);
  });
});

describe('SimulatedClock', () => {
  it('fires timers by due time, then in the order they were set', async () => {
    const clock = new SimulatedClock(0);
    const fired: string[] = [];
    for (const [name, ms] of [
      ['b', 20],
      ['a', 10],
      ['c', 20],
      ['d', 5],
    ] as const)
      void clock.sleep(ms).then(() => fired.push(`${name}@${clock.now()}`));
    while (clock.advance()) await Promise.resolve();
    await Promise.resolve();
    expect(fired).toEqual(['d@5', 'a@10', 'b@20', 'c@20']);
  });
});
