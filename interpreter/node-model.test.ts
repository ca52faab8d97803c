/** The typed node model: data parsed once, defaults in one place, the stored shape left alone. */
import { describe, expect, it } from 'vitest';
import { interpret } from './engine';
import { fakePort } from './fake-port';
import { parseGraph } from './graph';
import { handlesOf, handlesOfUnparsed, TypedNodeSchema } from './node-model';
import type { Definition } from './schema';
import { validateDefinition } from './validate';

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const run = {
  id: 'r',
  workflowId: 'w',
  workflowName: 'w',
  version: 1,
  startedAt: '2026-01-01T00:00:00Z',
  triggeredBy: null,
  priority: 'normal',
};

describe('the typed node model', () => {
  it('applies each default in one place: approval outcomes, quorum and notify; join mode; loop limits; http method', () => {
    const approval = TypedNodeSchema.parse({ id: 'a', type: 'approval', data: { approverRoles: ['manager'] } });
    expect(approval).toMatchObject({
      type: 'approval',
      data: {
        outcomes: ['approved', 'rejected'],
        quorum: 1,
        approverUsers: [],
        allowSelfApproval: false,
        notify: { channels: ['email'] },
      },
    });
    expect(handlesOf(approval)).toEqual(['approved', 'rejected', 'expired']);
    expect(TypedNodeSchema.parse({ id: 'j', type: 'join', data: {} })).toMatchObject({ data: { mode: 'all' } });
    expect(TypedNodeSchema.parse({ id: 'l', type: 'loop', data: { forEach: 'input.x' } })).toMatchObject({
      data: { maxIterations: 10_000, concurrency: 1 },
    });
    expect(TypedNodeSchema.parse({ id: 'h', type: 'action', data: { action: 'http', url: 'http://x' } })).toMatchObject(
      { data: { method: 'GET', headers: {} } },
    );
    expect(TypedNodeSchema.parse({ id: 's', type: 'subworkflow', data: { workflowId: 'w2' } })).toMatchObject({
      data: { wait: true, input: {} },
    });
  });

  it('parses durations to milliseconds, a work node timeout also from seconds, and retry into overrides', () => {
    const approval = TypedNodeSchema.parse({
      id: 'a',
      type: 'approval',
      data: {
        approverRoles: ['m'],
        expiresIn: '2d',
        reminderEvery: 'PT1H',
        escalation: { after: '30m', toRoles: ['boss'] },
      },
    });
    expect(approval.data).toMatchObject({
      expiresIn: 172_800_000,
      reminderEvery: 3_600_000,
      escalation: { after: 1_800_000 },
    });
    const call = TypedNodeSchema.parse({
      id: 'h',
      type: 'action',
      data: { action: 'http', url: 'http://x', timeout: 30, retry: { maximumAttempts: 2, initialInterval: '2s' } },
    });
    expect(call.data).toMatchObject({ timeout: 30_000, retry: { maximumAttempts: 2, initialIntervalMs: 2000 } });
  });

  it('reads what publish never checked as leniently as the engine always did: a label that is not text, any notify', () => {
    const approval = TypedNodeSchema.parse({
      id: 'a',
      type: 'approval',
      data: { label: 7, approverRoles: ['m'], notify: { channels: ['sms', 'slack'], slackChannel: 5 } },
    });
    expect(approval.data.label).toBeUndefined();
    expect(approval).toMatchObject({ data: { notify: { channels: ['slack'] } } });
    expect(
      TypedNodeSchema.parse({ id: 'a', type: 'approval', data: { approverRoles: ['m'], notify: 'slack' } }),
    ).toMatchObject({ data: { notify: { channels: ['email'] } } });
  });

  it('knows the handles of a node whose other data is wrong, so its edges are still checked', () => {
    expect(handlesOfUnparsed({ id: 'a', type: 'approval', data: { outcomes: ['go', 'stop'], quorum: 'x' } })).toEqual([
      'go',
      'stop',
      'expired',
    ]);
    expect(handlesOfUnparsed({ id: 'a', type: 'approval', data: { outcomes: ['Go'] } })).toBeUndefined();
    expect(handlesOfUnparsed({ id: 'l', type: 'loop', data: {} })).toEqual(['body', 'done']);
    expect(handlesOfUnparsed({ id: 'x', type: 'nonsense', data: {} })).toBeUndefined();
  });

  it('keeps the stored shape: unknown keys an editor stores survive validation, and the typed graph comes beside it', () => {
    const definition = {
      nodes: [
        { ...trigger, position: { x: 1, y: 2 }, selected: true, data: { ...trigger.data, color: 'red' } },
        { id: 'a', type: 'approval', data: { approverRoles: ['m'], expiresIn: '1h', editorNote: 'keep me' } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'a', animated: true },
        { id: 'e2', source: 'a', target: 'e' },
      ],
      viewport: { x: 0, y: 0, zoom: 1 },
    };
    const result = validateDefinition(definition);
    expect(result.errors).toEqual([]);
    expect(result.definition).toEqual(definition);
    expect(result.graph?.nodes.get('a')).toMatchObject({
      type: 'approval',
      data: { expiresIn: 3_600_000, outcomes: ['approved', 'rejected'] },
    });
    expect(result.graph?.triggers.map((n) => n.id)).toEqual(['t']);
  });

  it('refuses at run start a stored definition whose data does not parse, before its trigger, naming where', async () => {
    const definition: Definition = {
      nodes: [
        trigger,
        { id: 'a', type: 'approval', data: { approverRoles: ['m'], expiresIn: 'soon' } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'a' },
        { id: 'e2', source: 'a', target: 'e' },
      ],
    };
    expect(parseGraph(definition)).toMatchObject({ ok: false, problems: [{ path: 'nodes[1].data.expiresIn' }] });
    const { port, steps } = fakePort();
    const outcome = await interpret({ definition, input: {}, trigger: { type: 'manual' }, run }, port);
    expect(outcome).toMatchObject({ status: 'failed', error: { type: 'RunFailure' } });
    expect(outcome.error?.message).toContain('nodes[1].data.expiresIn: "soon" is not a duration');
    expect(steps).toEqual([]);
  });

  it('types edge conditions, and refuses one that cannot be evaluated without reporting it twice at publish', () => {
    const definition = {
      nodes: [
        trigger,
        { id: 'c', type: 'condition', data: { condition: { field: 'input.x', operator: 'bogus', value: 1 } } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'c' },
        { id: 'e2', source: 'c', sourceHandle: 'true', target: 'e' },
        { id: 'e3', source: 'c', sourceHandle: 'false', target: 'e' },
      ],
    };
    const result = validateDefinition(definition);
    expect(result.errors.filter((e) => e.path.startsWith('nodes[1].data.condition'))).toEqual([
      { path: 'nodes[1].data.condition.operator', message: expect.stringContaining('unknown operator "bogus"') },
    ]);
    expect(result.graph).toBeUndefined();
  });
});
