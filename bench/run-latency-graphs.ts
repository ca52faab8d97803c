/**
 * The run-latency graphs: `segments` times (set → http → condition), after a manual trigger and before an end per
 * route. One segment is the foundation's scoring graph (5 nodes run: trigger, set, http, condition, end); six run
 * 20 nodes, so the difference between the two sizes is the cost per node, not per run.
 */
export function chainedScoringDefinition(url: string, segments: number) {
  const nodes: Array<{ id: string; type: string; data: Record<string, unknown> }> = [
    { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
  ];
  const edges: Array<{ id: string; source: string; target: string; sourceHandle?: string }> = [];
  const edge = (source: string, target: string, sourceHandle?: string) =>
    edges.push({ id: `e${edges.length + 1}`, source, target, ...(sourceHandle ? { sourceHandle } : {}) });
  for (let k = 1; k <= segments; k++) {
    const [prepare, score, check] = [`prepare${k}`, `score${k}`, `check${k}`];
    nodes.push(
      { id: prepare, type: 'action', data: { action: 'set', vars: { level: '{{ input.level }}', segment: k } } },
      { id: score, type: 'action', data: { action: 'http', method: 'POST', url, body: { level: '{{ vars.level }}' } } },
      {
        id: check,
        type: 'condition',
        data: { condition: { field: `nodes.${score}.output.body.score`, operator: 'greater_than', value: 5 } },
      },
    );
    // Both routes of the previous check go on to this segment: one path, so every node runs once.
    if (k === 1) edge('start', prepare);
    else for (const handle of ['true', 'false']) edge(`check${k - 1}`, prepare, handle);
    edge(prepare, score);
    edge(score, check);
  }
  const last = `score${segments}`;
  nodes.push(
    { id: 'high', type: 'end', data: { output: { route: 'high', score: `{{ nodes.${last}.output.body.score }}` } } },
    {
      id: 'low',
      type: 'end',
      data: { output: { route: 'low', note: `score was {{ nodes.${last}.output.body.score }}` } },
    },
  );
  edge(`check${segments}`, 'high', 'true');
  edge(`check${segments}`, 'low', 'false');
  return { nodes, edges };
}

/** Nodes a run of `segments` visits: the trigger, three per segment, one end. */
export const nodesRun = (segments: number) => 2 + 3 * segments;
