/**
 * The workflow reads stored nodes, edges and forms without zod (node-reader.ts, form-reader.ts); publish reads them
 * with zod (node-model.ts, form-schema.ts). The two must agree on every definition, or a run would walk another graph
 * than the one published: the same values out, defaults and all, and the same refusals.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readForm } from './form-reader';
import { FormSchema } from './form-schema';
import { TypedEdgeSchema, TypedNodeSchema } from './node-model';
import { readEdge, readNode } from './node-reader';
import { formatPath } from './problems';
import { readAll } from './readers';
import { NODE_TYPES } from './schema';

type Issue = { path: PropertyKey[]; message: string };
type Parsed = { ok: true; value: unknown } | { ok: false; issues: Issue[] };

const fromZod = (result: { success: true; data: unknown } | { success: false; error: { issues: Issue[] } }): Parsed =>
  result.success ? { ok: true, value: result.data } : { ok: false, issues: result.error.issues };

const problems = (parsed: Parsed) =>
  parsed.ok ? [] : parsed.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).sort();

/**
 * Both readings of one value: equal values, or both refused, ours naming a problem. The wording of a refusal may
 * differ (zod reports some problems twice over); published definitions read, so a run meets one only if the model
 * changed since, and then it fails naming where.
 */
function expectAgree(ours: Parsed, zods: Parsed): void {
  expect(ours.ok).toBe(zods.ok);
  if (ours.ok && zods.ok) expect(ours.value).toStrictEqual(zods.value);
  else expect(problems(ours).length).toBeGreaterThan(0);
}

const json = fc.jsonValue({ maxDepth: 2 });
const sometimes = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: plausible }, json);
const duration = sometimes(fc.constantFrom('90s', '15m', 'P2D', 'PT1H', 'soon', '', 5, '1.5h'));
const text = sometimes(fc.string({ maxLength: 8 }));
const strings = sometimes(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }));
const condition = sometimes(
  fc.constantFrom(
    { field: 'input.amount', operator: 'greater_than', value: 10 },
    { all: [{ field: 'input.a', operator: 'exists' }] },
    { field: 'input.a', operator: 'matches', value: '^a+$' },
    { field: 'input.a', operator: 'nope' },
    { any: [] },
  ),
);
const retry = sometimes(
  fc.record(
    {
      maximumAttempts: sometimes(fc.integer({ min: -1, max: 101 })),
      initialInterval: duration,
      backoffCoefficient: sometimes(fc.double({ min: 0, max: 3, noNaN: true })),
      maximumInterval: duration,
      extra: json,
    },
    { requiredKeys: [] },
  ),
);
const likely = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 15, arbitrary: plausible }, json);
const bounds = { minimum: likely(fc.integer({ min: -5, max: 5 })), maximum: likely(fc.integer({ min: -5, max: 5 })) };
const enumValues = likely(
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 3 })), { maxLength: 4 }),
);
const fieldOf = (type: string, fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(
    { type: likely(fc.constant(type)), title: likely(fc.string({ maxLength: 8 })), ...fields },
    {
      requiredKeys: ['type'],
    },
  );
const formField = fc.oneof(
  fieldOf('string', {
    enum: enumValues,
    format: likely(fc.constantFrom('date', 'time')),
    minLength: likely(fc.integer({ min: -1, max: 12_000 })),
    maxLength: likely(fc.integer({ min: 0, max: 12_000 })),
  }),
  fieldOf('number', bounds),
  fieldOf('integer', bounds),
  fieldOf('boolean', { extra: likely(fc.constant(undefined)) }),
  fieldOf('enum', { enum: enumValues }),
  fieldOf('date', {}),
  fieldOf('object', {}),
);
const form = sometimes(
  fc.record(
    {
      type: likely(fc.constant('object')),
      title: likely(fc.string({ maxLength: 8 })),
      properties: likely(fc.dictionary(fc.constantFrom('amount', 'note', '9bad', 'ok_2'), formField, { maxKeys: 3 })),
      required: likely(fc.array(fc.constantFrom('amount', 'note', 'missing'), { maxLength: 2 })),
      additionalProperties: likely(fc.constantFrom(false, true)),
    },
    { requiredKeys: ['properties'] },
  ),
);

/** Every field any node type reads, each often plausible and sometimes anything at all. */
const data = fc.record(
  {
    label: text,
    trigger: sometimes(
      fc.record(
        {
          type: sometimes(fc.constantFrom('manual', 'webhook', 'schedule', 'event')),
          path: sometimes(fc.constantFrom('orders', 'bad path', '-x')),
          preset: sometimes(fc.constantFrom('github', 'stripe', 'other')),
          secretRef: text,
          cron: text,
          input: json,
          condition,
        },
        { requiredKeys: [] },
      ),
    ),
    action: sometimes(fc.constantFrom('http', 'set', 'log', 'other')),
    method: text,
    url: text,
    headers: sometimes(fc.dictionary(fc.string({ maxLength: 3 }), text, { maxKeys: 2 })),
    body: json,
    expectStatus: sometimes(fc.oneof(fc.integer({ min: 100, max: 599 }), fc.array(fc.integer(), { maxLength: 2 }))),
    vars: sometimes(fc.dictionary(fc.constantFrom('a', 'b-c', '1x', 'd e'), json, { maxKeys: 2 })),
    message: text,
    level: sometimes(fc.constantFrom('info', 'warn', 'loud')),
    provider: sometimes(fc.constantFrom('email', 'slack', 'fax')),
    channel: sometimes(fc.constantFrom('email', 'slack', 'webhook', 'fax')),
    recipients: fc.oneof(strings, text),
    subject: text,
    condition,
    approverRoles: strings,
    approverUsers: strings,
    quorum: sometimes(fc.integer({ min: -1, max: 3 })),
    expiresIn: duration,
    reminderEvery: duration,
    escalation: sometimes(fc.record({ after: duration, toRoles: strings }, { requiredKeys: [] })),
    outcomes: sometimes(
      fc.array(fc.constantFrom('approved', 'rejected', 'expired', 'Bad', 'approved'), { maxLength: 3 }),
    ),
    allowSelfApproval: sometimes(fc.boolean()),
    notify: sometimes(
      fc.record({ channels: sometimes(fc.array(fc.constantFrom('email', 'slack', 'sms'))), slackChannel: text }),
    ),
    form,
    dueIn: duration,
    duration,
    until: text,
    forEach: text,
    as: text,
    maxIterations: sometimes(fc.integer({ min: 0, max: 20_000 })),
    concurrency: sometimes(fc.integer({ min: 0, max: 101 })),
    mode: sometimes(fc.constantFrom('all', 'any', 'some')),
    workflowId: text,
    version: sometimes(fc.integer({ min: 0, max: 3 })),
    input: json,
    wait: sometimes(fc.boolean()),
    status: sometimes(fc.constantFrom('completed', 'failed', 'paused')),
    output: json,
    retry,
    timeout: duration,
  },
  { requiredKeys: [] },
);

const node = fc.record(
  {
    id: sometimes(fc.constantFrom('a', 'b')),
    type: sometimes(fc.constantFrom(...NODE_TYPES, 'other')),
    data: fc.oneof({ weight: 6, arbitrary: data }, json),
    position: json,
  },
  { requiredKeys: ['type'] },
);

const edge = fc.record(
  {
    id: sometimes(fc.constantFrom('e1', '')),
    source: text,
    target: text,
    sourceHandle: fc.oneof(text, fc.constant(null)),
    targetHandle: fc.oneof(text, fc.constant(null)),
    condition: fc.oneof(condition, fc.constant(null)),
    isDefault: sometimes(fc.boolean()),
    label: json,
  },
  { requiredKeys: [] },
);

describe('the zod-free readers of the workflow', () => {
  it('read every generated node as TypedNodeSchema does: the same typed node, or both refuse', () => {
    let read = 0;
    fc.assert(
      fc.property(node, (value) => {
        const ours = readNode(value);
        if (ours.ok) read++;
        expectAgree(ours, fromZod(TypedNodeSchema.safeParse(value)));
      }),
      { numRuns: 3000 },
    );
    // Not a comparison of refusals only: a good share of the generated nodes read.
    expect(read).toBeGreaterThan(300);
  });

  it('read every generated edge as TypedEdgeSchema does', () => {
    fc.assert(
      fc.property(edge, (value) => expectAgree(readEdge(value), fromZod(TypedEdgeSchema.safeParse(value)))),
      { numRuns: 1000 },
    );
  });

  it('read every generated approval form as FormSchema does', () => {
    let read = 0;
    fc.assert(
      fc.property(form, (value) => {
        const ours = readAll(readForm, value);
        if (ours.ok) read++;
        expectAgree(ours, fromZod(FormSchema.safeParse(value)));
      }),
      { numRuns: 2000 },
    );
    expect(read).toBeGreaterThan(100);
  });

  it('apply the defaults and duration units of the published model', () => {
    const ours = readNode({ id: 'a', type: 'approval', data: { approverRoles: ['m'], expiresIn: '1h' } });
    expect(ours).toEqual({
      ok: true,
      value: {
        id: 'a',
        type: 'approval',
        data: {
          approverRoles: ['m'],
          approverUsers: [],
          quorum: 1,
          expiresIn: 3_600_000,
          outcomes: ['approved', 'rejected'],
          allowSelfApproval: false,
          notify: { channels: ['email'] },
        },
      },
    });
  });
});
