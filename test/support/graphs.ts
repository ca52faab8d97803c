/** Graphs shared by tests and benchmarks. */
import type { Definition } from '../../interpreter/schema';

/**
 * trigger → set → http → condition → two ends: the foundation's walk-through.
 * `url` may be a template (the tests pass `{{ input.scorerUrl }}`).
 */
/** The smallest graph that publishes and runs: a manual trigger straight to its end. */
export const triggerToEnd = {
  nodes: [
    { id: 'start', type: 'trigger', data: { label: 'Start', trigger: { type: 'manual' } } },
    { id: 'done', type: 'end', data: { label: 'Done', output: {} } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'done' }],
};

export function scoringDefinition(url: string) {
  return {
    nodes: [
      { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
      {
        id: 'prepare',
        type: 'action',
        data: { label: 'Remember the level', action: 'set', vars: { level: '{{ input.level }}' } },
      },
      {
        id: 'score',
        type: 'action',
        data: { label: 'Ask the scorer', action: 'http', method: 'POST', url, body: { level: '{{ vars.level }}' } },
      },
      {
        id: 'check',
        type: 'condition',
        data: { condition: { field: 'nodes.score.output.body.score', operator: 'greater_than', value: 5 } },
      },
      {
        id: 'high',
        type: 'end',
        data: { status: 'completed', output: { route: 'high', score: '{{ nodes.score.output.body.score }}' } },
      },
      {
        id: 'low',
        type: 'end',
        data: { status: 'completed', output: { route: 'low', note: 'score was {{ nodes.score.output.body.score }}' } },
      },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'prepare' },
      { id: 'e2', source: 'prepare', target: 'score' },
      { id: 'e3', source: 'score', target: 'check' },
      { id: 'e4', source: 'check', sourceHandle: 'true', target: 'high' },
      { id: 'e5', source: 'check', sourceHandle: 'false', target: 'low' },
    ],
  };
}

/**
 * trigger → one approval (its `data` given) → an end per outcome, whose output names it:
 * `{ outcome: 'approved' | 'rejected' | 'expired' }`.
 */
export function approvalDefinition(data: Record<string, unknown>) {
  return {
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      { id: 'ask', type: 'approval', data },
      { id: 'yes', type: 'end', data: { output: { outcome: 'approved' } } },
      { id: 'no', type: 'end', data: { output: { outcome: 'rejected' } } },
      { id: 'late', type: 'end', data: { output: { outcome: 'expired' } } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'ask' },
      { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'yes' },
      { id: 'e3', source: 'ask', sourceHandle: 'rejected', target: 'no' },
      { id: 'e4', source: 'ask', sourceHandle: 'expired', target: 'late' },
    ],
  };
}

/**
 * `depth` loops each inside the last (`maxIterations` each, when given), one set node in the innermost body: the
 * graph-work attack.
 */
export function nestedLoops(depth: number, maxIterations?: number): Definition {
  const nodes: Definition['nodes'] = [{ id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } }];
  const edges: Definition['edges'] = [];
  let outer = 't';
  for (let i = 1; i <= depth; i++) {
    nodes.push({
      id: `l${i}`,
      type: 'loop',
      data: { forEach: 'input.items', ...(maxIterations ? { maxIterations } : {}) },
    });
    edges.push({ id: `in${i}`, source: outer, target: `l${i}`, ...(i > 1 ? { sourceHandle: 'body' } : {}) });
    if (i > 1) edges.push({ id: `done${i}`, source: `l${i}`, sourceHandle: 'done', target: outer });
    outer = `l${i}`;
  }
  nodes.push(
    { id: 'work', type: 'action', data: { action: 'set', vars: { last: '{{ index }}' } } },
    { id: 'end', type: 'end', data: {} },
  );
  edges.push(
    { id: 'body', source: outer, sourceHandle: 'body', target: 'work' },
    { id: 'back', source: 'work', target: outer },
    { id: 'out', source: 'l1', sourceHandle: 'done', target: 'end' },
  );
  return { nodes, edges };
}

/**
 * A cycle polling `<url>/poll` until it answers `{ done: true }`, beside an approval by `admin` that the end waits
 * for: a run that lives long (it continues as new under a small history limit) while an approval waits.
 */
export function pollWhileApprovalWaits(url: string) {
  return {
    configuration: { maxNodeVisits: 600 },
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      { id: 'ask', type: 'approval', data: { approverRoles: ['admin'], expiresIn: '1h', notify: { channels: [] } } },
      { id: 'poll', type: 'action', data: { action: 'http', url: `${url}/poll` } },
      { id: 'ready', type: 'condition', data: {} },
      { id: 'both', type: 'join', data: { mode: 'all' } },
      {
        id: 'e',
        type: 'end',
        data: { output: { outcome: '{{ nodes.ask.outcome }}', polls: '{{ nodes.poll.output.body.count }}' } },
      },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'ask' },
      { id: 'e2', source: 't', target: 'poll' },
      { id: 'e3', source: 'poll', target: 'ready' },
      {
        id: 'e4',
        source: 'ready',
        target: 'poll',
        condition: { field: 'nodes.poll.output.body.done', operator: 'equals', value: false },
      },
      { id: 'e5', source: 'ready', target: 'both', isDefault: true },
      { id: 'e6', source: 'ask', sourceHandle: 'approved', target: 'both' },
      { id: 'e7', source: 'ask', sourceHandle: 'rejected', target: 'e' },
      { id: 'e8', source: 'both', target: 'e' },
    ],
  };
}
