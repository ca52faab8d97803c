import { describe, expect, it } from 'vitest';
import {
  castVote,
  claimRefusal,
  delegate,
  delegationRefusal,
  dueAt,
  type OpenApproval,
  planWait,
  refusalOf,
  voteOf,
} from './approval-rules';
import type { ApprovalRequest } from './engine';
import { FormSchema } from './form-schema';
import { checkFormData, type Form, fromFormText } from './forms';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { interpret } from './engine';
import { fakePort } from './fake-port';
import { DefinitionSchema } from './schema';
import { validateDefinition } from './validate';

const form: Form = FormSchema.parse({
  title: 'Resubmission',
  properties: {
    amount: { type: 'number', title: 'Amount', minimum: 0 },
    seats: { type: 'integer', maximum: 10 },
    justification: { type: 'string', maxLength: 20 },
    urgent: { type: 'boolean' },
    category: { type: 'enum', enum: ['travel', 'equipment'] },
    size: { type: 'string', enum: ['s', 'm'] },
    needed: { type: 'date' },
    by: { type: 'string', format: 'date' },
  },
  required: ['amount', 'justification'],
});

const HOUR = 3_600_000;
const people = {
  dana: { userId: 'u-dana', email: 'dana@example.com', roles: ['manager'] },
  eli: { userId: 'u-eli', email: 'eli@example.com', roles: [] },
  fay: { userId: 'u-fay', email: 'fay@example.com', roles: [] },
  requester: { userId: 'u-req', email: 'req@example.com', roles: [] },
};

function open(over: Partial<ApprovalRequest> = {}): OpenApproval {
  return {
    approvalId: 'a1',
    request: {
      nodeId: 'review',
      stepKey: 'review:1',
      label: 'Review',
      approverRoles: ['manager'],
      approverUsers: [],
      quorum: 1,
      outcomes: ['approved', 'changes_requested', 'rejected'],
      expiresAt: null,
      allowSelfApproval: false,
      message: null,
      reminderEveryMs: null,
      escalation: null,
      notify: { channels: ['email'], slackChannel: null },
      form,
      ...over,
    },
    votes: [],
    requestedAt: 0,
  };
}

describe('approval forms', () => {
  it('accepts data that fits the form', () => {
    const data = {
      amount: 12.5,
      seats: 3,
      justification: 'new laptop',
      urgent: false,
      category: 'equipment',
      size: 'm',
      needed: '2026-02-28',
      by: '2026-03-01',
    };
    expect(checkFormData(form, data, 'approved')).toEqual([]);
  });

  it('lists every problem of the data at once, each with its path', () => {
    const problems = checkFormData(
      form,
      {
        seats: 2.5,
        justification: 'x'.repeat(21),
        urgent: 'yes',
        category: 'food',
        needed: '2026-02-30',
        extra: 1,
      },
      'approved',
      'body.data',
    );
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'body.data.amount',
        'body.data.category',
        'body.data.extra',
        'body.data.justification',
        'body.data.needed',
        'body.data.seats',
        'body.data.urgent',
      ].sort(),
    );
    expect(problems.find((p) => p.path === 'body.data.amount')?.message).toMatch(/required/);
  });

  it('a rejection needs no data, but what it gives is still checked', () => {
    expect(checkFormData(form, undefined, 'rejected')).toEqual([]);
    expect(checkFormData(form, { amount: -1 }, 'rejected')).toEqual([
      { path: 'data.amount', message: 'must be at least 0' },
    ]);
  });

  it('an approval without a form takes no data', () => {
    expect(checkFormData(undefined, { a: 1 }, 'approved')).toEqual([
      { path: 'data', message: 'this approval has no form: it takes no data' },
    ]);
    expect(checkFormData(null, {}, 'approved')).toEqual([]);
  });

  it('refuses data that is not an object', () => {
    expect(checkFormData(form, [1], 'approved')).toHaveLength(1);
  });

  it('types the text an HTML form posts by the fields', () => {
    const data = fromFormText(form, {
      'field.amount': '40',
      'field.justification': 'ok',
      'field.urgent': 'true',
      'field.seats': 'two',
      'field.category': 'travel',
    });
    expect(data).toEqual({ amount: 40, justification: 'ok', urgent: true, seats: 'two', category: 'travel' });
    expect(checkFormData(form, data, 'approved')).toEqual([
      { path: 'data.seats', message: 'must be a number, not string' },
    ]);
  });

  it('a malformed form is a validation problem on its node', () => {
    const result = validateDefinition({
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'ask',
          type: 'approval',
          data: {
            approverRoles: ['manager'],
            dueIn: 'soonish',
            form: {
              properties: {
                amount: { type: 'money' },
                'bad name': { type: 'string' },
                ok: { type: 'string', pattern: 'a+' },
              },
              required: ['missing'],
            },
          },
        },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'ask' },
        { id: 'e2', source: 'ask', target: 'e' },
      ],
    });
    const paths = result.errors.map((p) => p.path);
    expect(result.valid).toBe(false);
    expect(paths).toEqual(
      expect.arrayContaining([
        'nodes[1].data.dueIn',
        'nodes[1].data.form.properties.amount.type',
        'nodes[1].data.form.properties.bad name',
        'nodes[1].data.form.properties.ok',
      ]),
    );
    const required = FormSchema.safeParse({ properties: { a: { type: 'string' } }, required: ['a', 'missing'] });
    expect(required.error?.issues.map((i) => i.path)).toEqual([['required', 1]]);
  });
});

describe('decisions with form data', () => {
  it('refuses data that does not fit, with every problem', () => {
    const refusal = refusalOf(
      open(),
      undefined,
      { decision: 'approved', actor: people.dana, data: { amount: 'x' } },
      null,
    );
    expect(refusal?.kind).toBe('badData');
    expect(refusal?.problems?.map((p) => p.path)).toEqual(['data.amount', 'data.justification']);
  });

  it("records the data with the vote and as the deciding vote's output", () => {
    const approval = open();
    const attempt = { decision: 'approved', actor: people.dana, data: { amount: 5, justification: 'ok', size: '' } };
    expect(refusalOf(approval, undefined, attempt, null)).toBeUndefined();
    const result = castVote(approval, voteOf(approval, attempt, 'now'));
    expect(result?.data).toEqual({ amount: 5, justification: 'ok' });
    expect(approval.votes[0]?.data).toEqual({ amount: 5, justification: 'ok' });
  });
});

describe('claim and delegate', () => {
  it("a delegate votes with the delegator's part; the delegator no longer may", () => {
    const approval = open({ form: null });
    expect(delegationRefusal(approval, undefined, people.dana, people.eli, null)).toBeUndefined();
    delegate(approval, people.dana, people.eli, 'now');
    expect(refusalOf(approval, undefined, { decision: 'approved', actor: people.dana }, null)?.kind).toBe('notAllowed');
    expect(refusalOf(approval, undefined, { decision: 'approved', actor: people.eli }, null)).toBeUndefined();
    expect(voteOf(approval, { decision: 'approved', actor: people.eli }, 'now').onBehalfOf).toBe('u-dana');
  });

  it('a delegated part moves on whole, and back home when returned', () => {
    const approval = open({ form: null });
    delegate(approval, people.dana, people.eli, 'now');
    delegate(approval, people.eli, people.fay, 'now');
    expect(approval.delegations).toEqual([{ from: 'u-dana', to: 'u-fay', toEmail: 'fay@example.com', at: 'now' }]);
    delegate(approval, people.fay, people.dana, 'now');
    expect(approval.delegations).toEqual([]);
    expect(refusalOf(approval, undefined, { decision: 'approved', actor: people.dana }, null)).toBeUndefined();
  });

  it('self-approval rules hold for delegates: never to the requester', () => {
    const refusal = delegationRefusal(open(), undefined, people.dana, people.requester, 'u-req');
    expect(refusal?.kind).toBe('notAllowed');
  });

  it('refuses a delegate who can already decide, and a delegator who voted or is no approver', () => {
    const other = { userId: 'u-gil', email: 'gil@example.com', roles: ['manager'] };
    expect(delegationRefusal(open(), undefined, people.dana, other, null)?.kind).toBe('holdsPart');
    expect(delegationRefusal(open(), undefined, people.eli, people.fay, null)?.kind).toBe('notAllowed');
    const voted = open({ form: null });
    castVote(voted, voteOf(voted, { decision: 'changes_requested', actor: people.dana }, 'now'));
    expect(delegationRefusal(voted, 'decided', people.dana, people.eli, null)?.kind).toBe('alreadyVoted');
  });

  it('one approver claims; another is told who has it', () => {
    const approval = open();
    expect(claimRefusal(approval, undefined, people.dana, null)).toBeUndefined();
    approval.claim = { userId: 'u-dana', email: 'dana@example.com', at: 'now' };
    expect(claimRefusal(approval, undefined, people.dana, null)).toBeUndefined();
    const other = { userId: 'u-gil', email: 'gil@example.com', roles: ['manager'] };
    expect(claimRefusal(approval, undefined, other, null)).toMatchObject({
      kind: 'claimed',
      message: /dana@example.com/,
    });
  });
});

describe('due dates', () => {
  it('reminds a quarter of the time given before the task falls due, at most a day ahead, once', () => {
    const approval = open({ dueAt: 8 * HOUR });
    const plan = planWait(approval, true, 0, true);
    expect(plan.dueRemindAt).toBe(6 * HOUR);
    expect(dueAt(plan, 6 * HOUR).remindDue).toBe(true);
    approval.dueReminded = true;
    expect(planWait(approval, true, 6 * HOUR, true).next).toBeNull();
    expect(planWait(open({ dueAt: 40 * 24 * HOUR }), true, 0, true).dueRemindAt).toBe(39 * 24 * HOUR);
  });

  it('runs from before due dates plan no such reminder', () => {
    expect(planWait(open({ dueAt: 8 * HOUR }), true, 0, false).next).toBeNull();
  });
});

describe('the send-back example', () => {
  it("request, review, changes requested, resubmit, approve: the resubmission's data reaches the reviewer", async () => {
    const file = path.resolve(__dirname, '../examples/expense-resubmission.json');
    const definition = DefinitionSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(validateDefinition(definition).errors).toEqual([]);
    let reviews = 0;
    const fake = fakePort({
      approve: (q) => {
        const decided = { decidedBy: 'u', votes: [] };
        if (q.nodeId === 'resubmit')
          return { ...decided, outcome: 'resubmitted', comment: null, data: { amount: 80, justification: 'cheaper' } };
        reviews++;
        return reviews === 1
          ? { ...decided, outcome: 'changes_requested', comment: 'too much' }
          : { ...decided, outcome: 'approved', comment: null, data: { costCentre: 'sales' } };
      },
    });
    const run = { id: 'r', workflowId: 'w', workflowName: 'n', version: 1, startedAt: '2026-01-01T00:00:00Z' };
    const outcome = await interpret(
      {
        definition,
        input: { title: 'Taxi', amount: 120, justification: 'late' },
        trigger: { type: 'manual' },
        run: { ...run, triggeredBy: 'u-req', priority: 'normal' },
      },
      fake.port,
    );
    expect(outcome).toMatchObject({
      status: 'completed',
      output: { approved: true, amount: 80, justification: 'cheaper', costCentre: 'sales' },
    });
    expect(fake.approvals.map((a) => a.message)).toEqual([
      "Expense 'Taxi': 120 EUR. Justification: late",
      'Finance asks for changes: too much',
      "Expense 'Taxi': 80 EUR. Justification: cheaper",
    ]);
    expect(fake.approvals[1]).toMatchObject({
      approverUsers: ['u-req'],
      form: { required: ['amount', 'justification'] },
    });
    expect(fake.approvals[0]?.dueAt).toBeGreaterThan(2 * 24 * HOUR);
  });
});
