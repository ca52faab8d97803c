import { describe, expect, it } from 'vitest';
import { migratedCheckpoint, migrationProblems, nodeOfStepKey, renamedStepKey } from './migration';
import type { Checkpoint } from './types';

const graph = (...nodes: Array<[string, string, Record<string, unknown>?]>) => ({
  nodes: nodes.map(([id, type, data]) => ({ id, type, data: data ?? {} })),
  edges: [],
});

describe('renaming step keys', () => {
  it('renames every node id in a key, loop scopes included, and leaves the visits alone', () => {
    const mapping = { each: 'for_each', ask: 'review' };
    expect(renamedStepKey('ask:2', mapping)).toBe('review:2');
    expect(renamedStepKey('each[3]/inner[0]/ask:1', mapping)).toBe('for_each[3]/inner[0]/review:1');
    expect(renamedStepKey('a:1:2', { 'a:1': 'b' })).toBe('b:2');
    expect(nodeOfStepKey('for_each[3]/review:1')).toBe('review');
  });

  it('moves the memo and the waiting approvals under the new names', () => {
    const checkpoint: Checkpoint = {
      startedAt: '2026-01-01T00:00:00.000Z',
      generation: 0,
      paused: false,
      work: { 'call:1': { ok: true, output: 1 } },
      approvals: {},
      children: {},
      timers: { 'wait:1': 123 },
      recorded: ['t:1', 'call:1'],
      closedApprovals: {},
      pendingApprovals: {
        'ask:1': {
          approvalId: 'a1',
          votes: [],
          request: { nodeId: 'ask', stepKey: 'ask:1' } as Checkpoint['pendingApprovals'][string]['request'],
        },
      },
    };
    const moved = migratedCheckpoint(checkpoint, { ask: 'review', call: 'post' });
    expect(moved.work).toEqual({ 'post:1': { ok: true, output: 1 } });
    expect(moved.timers).toEqual({ 'wait:1': 123 });
    expect(moved.recorded).toEqual(['t:1', 'post:1']);
    expect(moved.pendingApprovals['review:1']?.request).toMatchObject({ nodeId: 'review', stepKey: 'review:1' });
    expect(migratedCheckpoint(checkpoint, {})).toBe(checkpoint);
  });
});

describe('what keeps a run from moving', () => {
  const from = graph(['t', 'trigger'], ['ask', 'approval', { outcomes: ['yes', 'no'] }], ['wait', 'delay']);
  it('accepts a move where every node the run is at has a counterpart of its kind', () => {
    const to = graph(['t', 'trigger'], ['review', 'approval', { outcomes: ['yes', 'no', 'later'] }], ['wait', 'delay']);
    const position = { activeNodes: ['ask', 'wait'], pendingApprovals: [{ nodeId: 'ask', outcomes: ['yes', 'no'] }] };
    expect(migrationProblems(from, to, { ask: 'review' }, position)).toEqual([]);
  });

  it('names each node without a counterpart, of another kind, or without a way out for an outcome', () => {
    const to = graph(['t', 'trigger'], ['ask', 'approval'], ['wait', 'action']);
    const position = { activeNodes: ['ask', 'wait'], pendingApprovals: [{ nodeId: 'ask', outcomes: ['yes', 'no'] }] };
    expect(migrationProblems(from, to, { gone: 'x' }, position).map((p) => p.path)).toEqual([
      'nodeMapping.gone',
      'nodeMapping.gone',
      'nodes.wait',
      'nodes.ask',
    ]);
  });
});
