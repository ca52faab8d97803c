/**
 * The graphflow CLI (cli/, the package's bin) end to end: each command is the real bin spawned as a child process,
 * speaking over loopback HTTP to a real server (the harness's app, with a real Temporal worker and database), with
 * its own HOME so no test reads or writes the developer's credentials.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createHarness, eventually, type Harness, type TenantFixture } from '../harness';

const BIN = path.resolve(__dirname, '../../cli/graphflow.js');

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface CliCall {
  /** The API key given as GRAPHFLOW_API_KEY; null: neither GRAPHFLOW_URL nor a key (the stored credentials count). */
  key?: string | null;
  stdin?: string;
  /** Called with each chunk of stdout as it arrives (to act while a command is still running). */
  onStdout?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

let h: Harness;
let url: string;
let home: string;
let work: string;

beforeAll(async () => {
  h = await createHarness();
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  home = mkdtempSync(path.join(tmpdir(), 'graphflow-cli-home-'));
  work = mkdtempSync(path.join(tmpdir(), 'graphflow-cli-work-'));
});
afterAll(async () => {
  await h?.close();
  for (const dir of [home, work]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the bin to its end; a command that hangs is ended by the test's own timeout. */
function cli(args: string[], call: CliCall = {}): Promise<Ended> {
  const key = call.key === undefined ? h.tenant.adminKey : call.key;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    ...(key !== null ? { GRAPHFLOW_URL: url, GRAPHFLOW_API_KEY: key } : {}),
    ...call.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      call.onStdout?.(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(call.stdin ?? '');
  });
}

const file = (name: string, content: unknown) => {
  const target = path.join(work, name);
  writeFileSync(target, name.endsWith('.json') ? JSON.stringify(content, null, 2) : stringify(content));
  return target;
};

const unique = (name: string) => `${name} ${Math.random().toString(36).slice(2, 8)}`;

/** A workflow whose run ends as `end` says, with the input's amount in its output. */
function simpleWorkflow(name: string, end: Record<string, unknown> = { output: { total: '{{ input.amount }}' } }) {
  return {
    name,
    category: 'finance',
    tags: ['cli'],
    inputSchema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } },
    nodes: [
      { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
      { id: 'done', type: 'end', data: end },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'done' }],
  };
}

async function workflowNamed(tenant: TenantFixture, name: string) {
  const res = await h.api(tenant.adminKey, { method: 'GET', url: `/api/workflows?q=${encodeURIComponent(name)}` });
  return (
    res.json().items as Array<{ id: string; name: string; latestVersion: number | null; definition: unknown }>
  ).find((w) => w.name === name);
}

async function versionsOf(tenant: TenantFixture, id: string) {
  const list = await h.api(tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}/versions` });
  const numbers = (list.json().items as Array<{ version: number }>).map((v) => v.version).sort((a, b) => a - b);
  return Promise.all(
    numbers.map(
      async (n) =>
        (await h.api(tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}/versions/${n}` })).json() as {
          version: number;
          changeDescription: string | null;
          definition: Record<string, unknown>;
        },
    ),
  );
}

/** A stack trace's frame lines: never shown to a user. */
const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe('login and logout', () => {
  it('login stores the URL and key in a file only its owner can read, and the other commands use it', async () => {
    const login = await cli(['login', '--url', url, '--key', h.tenant.adminKey], { key: null });
    expect(login.code, login.stderr).toBe(0);
    const stored = path.join(home, '.config', 'graphflow', 'credentials.json');
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(stored)).mode & 0o077).toBe(0);
    expect(JSON.parse(readFileSync(stored, 'utf8'))).toEqual({ url, key: h.tenant.adminKey });

    const listed = await cli(['runs', 'list'], { key: null });
    expect(listed.code, listed.stderr).toBe(0);

    const logout = await cli(['logout'], { key: null });
    expect(logout.code, logout.stderr).toBe(0);
    expect(existsSync(stored)).toBe(false);
    const after = await cli(['runs', 'list'], { key: null });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not logged in');
  });

  it('refuses to store a key the server refuses, and says why', async () => {
    const login = await cli(['login', '--url', url, '--key', 'gf_not-a-real-key'], { key: null });
    expect(login.code).toBe(1);
    expect(login.stderr).toContain('401');
    expect(login.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(path.join(home, '.config', 'graphflow', 'credentials.json'))).toBe(false);
  });
});

describe('validate', () => {
  it('reports every problem of a YAML definition with its path, and exits 1', async () => {
    const broken = file('broken.yaml', {
      name: 'Broken',
      nodes: [
        { id: 'start', type: 'trigger', data: {} },
        { id: 'ask', type: 'approval', data: {} },
        { id: 'done', type: 'teleport', data: {} },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'ask' },
        { id: 'e2', source: 'ask', target: 'nowhere' },
      ],
    });
    const result = await cli(['validate', broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken\.yaml: \d+ problem\(s\)/);
    expect(result.stderr).toMatch(/nodes\[1\]\.data/);
    expect(result.stderr).toMatch(/nodes\[2\]\.type/);
    expect(result.stderr).toMatch(/edges\[1\]\.target/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it("points at the file's own paths in a nested file, and names a file that is not YAML at all", async () => {
    const nested = file('nested.json', {
      name: 'Nested',
      definition: {
        nodes: [{ id: 'start', type: 'trigger', data: {} }],
        edges: [{ id: 'e1', source: 'start', target: 'gone' }],
      },
    });
    const result = await cli(['validate', nested]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/definition\.edges\[0\]\.target/);

    const garbage = path.join(work, 'garbage.yaml');
    writeFileSync(garbage, 'name: [unclosed\n  nodes: {');
    const unreadable = await cli(['validate', garbage]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('garbage.yaml is not valid YAML');
  });

  it('passes a valid definition with exit 0, offline', async () => {
    const result = await cli(['validate', file('valid.yaml', simpleWorkflow('Valid'))], { key: null });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('valid.yaml: valid (Valid)');
  });
});

describe('publish', () => {
  it('shows a diff and publishes; a second publish of the same file publishes nothing', async () => {
    const name = unique('Publish me');
    const source = file('publish-me.yaml', simpleWorkflow(name));

    const first = await cli(['publish', source, '--yes']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('not published yet');
    expect(first.stdout).toContain('+ start (trigger)');
    expect(first.stdout).toContain('+ e1: start -> done');
    expect(first.stdout).toMatch(/published version 1/);
    const created = await workflowNamed(h.tenant, name);
    expect(created?.latestVersion).toBe(1);

    const again = await cli(['publish', source, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('unchanged since version 1');
    expect(again.stdout).toContain('nothing to publish');
    expect((await workflowNamed(h.tenant, name))?.latestVersion).toBe(1);
    expect(await versionsOf(h.tenant, created!.id)).toHaveLength(1);
  });

  it('changes nothing on --dry-run or when the prompt is declined, and publishes when it is confirmed', async () => {
    const name = unique('Dry run');
    const workflow = simpleWorkflow(name);
    const source = file('dry-run.json', workflow);
    expect((await cli(['publish', source, '--yes'])).code).toBe(0);
    const { id } = (await workflowNamed(h.tenant, name))!;

    file('dry-run.json', {
      ...workflow,
      nodes: [
        workflow.nodes[0],
        { id: 'note', type: 'action', data: { action: 'log', message: 'hello' } },
        { id: 'done', type: 'end', data: { output: { total: '{{ input.amount }}', noted: true } } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'note' },
        { id: 'e2', source: 'note', target: 'done' },
      ],
    });
    const dry = await cli(['publish', source, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('changes against version 1');
    expect(dry.stdout).toContain('+ note (action)');
    expect(dry.stdout).toContain('~ done (end): data.output');
    expect(dry.stdout).toContain('~ e1: start -> note: target');
    expect(dry.stdout).toContain('+ e2: note -> done');
    expect(dry.stdout).toContain('nothing was changed');
    const untouched = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}` })).json();
    expect(untouched.latestVersion).toBe(1);
    expect(untouched.definition.nodes).toHaveLength(2);

    const declined = await cli(['publish', source], { stdin: 'n\n' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('nothing was published');
    expect((await workflowNamed(h.tenant, name))?.latestVersion).toBe(1);

    const confirmed = await cli(['publish', source, '-m', 'log a note'], { stdin: 'y\n' });
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toContain('published version 2');
    const versions = await versionsOf(h.tenant, id);
    expect(versions.map((v) => v.changeDescription)).toEqual([null, 'log a note']);
  });

  it('keeps a folder of definitions in sync: every file published once, then nothing', async () => {
    const folder = path.join(work, 'definitions');
    mkdirSync(folder);
    const names = [unique('Folder one'), unique('Folder two')];
    writeFileSync(path.join(folder, 'one.yaml'), stringify(simpleWorkflow(names[0]!)));
    writeFileSync(path.join(folder, 'two.json'), JSON.stringify(simpleWorkflow(names[1]!)));
    writeFileSync(path.join(folder, 'notes.txt'), 'not a definition');

    const first = await cli(['publish', folder, '--yes']);
    expect(first.code, first.stderr).toBe(0);
    for (const name of names) expect((await workflowNamed(h.tenant, name))?.latestVersion).toBe(1);
    const second = await cli(['publish', folder]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('nothing to publish');
  });

  it('refuses an invalid file before anything is sent, listing every problem', async () => {
    const name = unique('Invalid');
    const source = file('invalid.yaml', {
      ...simpleWorkflow(name),
      edges: [{ id: 'e1', source: 'start', target: 'missing' }],
    });
    const result = await cli(['publish', source, '--yes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/edges\[0\]\.target/);
    expect(result.stderr).toContain('nothing was published');
    expect(await workflowNamed(h.tenant, name)).toBeUndefined();
  });
});

describe('run --watch', () => {
  it('exits 0 on a completed run and prints its steps and output', async () => {
    const name = unique('Completes');
    expect((await cli(['publish', file('completes.yaml', simpleWorkflow(name)), '--yes'])).code).toBe(0);
    const result = await cli([
      'run',
      name,
      '--input',
      file('input.yaml', { amount: 42 }),
      '--watch',
      '--interval',
      '200',
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/run \S+ started/);
    expect(result.stdout).toContain('✓ done (end) completed');
    expect(result.stdout).toMatch(/run \S+: completed/);
    expect(result.stdout).toMatch(/"total": 42/);
  });

  it('exits 1 on a failed run', async () => {
    const name = unique('Fails');
    expect((await cli(['publish', file('fails.yaml', simpleWorkflow(name, { status: 'failed' })), '--yes'])).code).toBe(
      0,
    );
    const result = await cli([
      'run',
      name,
      '--input',
      file('input.json', { amount: 1 }),
      '--watch',
      '--interval',
      '200',
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(1);
    expect(result.stdout).toMatch(/run \S+: failed/);
  });

  it("prints the API's problem and every listed error for refused input, never a stack", async () => {
    const name = unique('Refuses');
    expect((await cli(['publish', file('refuses.yaml', simpleWorkflow(name)), '--yes'])).code).toBe(0);
    const result = await cli(['run', name, '--input', file('bad-input.yaml', { amount: 'a lot' })]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('400 Bad Request');
    expect(result.stderr).toMatch(/amount/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('approve', () => {
  it('decides a waiting approval that run --watch shows, and the watch ends with the run', async () => {
    const name = unique('Needs approval');
    const workflow = {
      name,
      nodes: [
        { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'approve', type: 'approval', data: { approverRoles: ['manager'] } },
        { id: 'yes', type: 'end', data: { output: { approved: true } } },
        { id: 'no', type: 'end', data: { status: 'failed' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'approve' },
        { id: 'e2', source: 'approve', target: 'yes', sourceHandle: 'approved' },
        { id: 'e3', source: 'approve', target: 'no', sourceHandle: 'rejected' },
      ],
    };
    expect((await cli(['publish', file('needs-approval.yaml', workflow), '--yes'])).code).toBe(0);
    const requester = await h.newUser(h.tenant, ['operator']);
    const manager = await h.newUser(h.tenant, ['manager']);

    let approvalId: string | undefined;
    const watching = cli(['run', name, '--watch', '--interval', '200'], {
      key: requester.key,
      onStdout: (text) =>
        (approvalId ??= /approval awaited at approve by manager: graphflow approve (\S+)/.exec(text)?.[1]),
    });
    const id = await eventually(async () => approvalId);

    const decided = await cli(['approve', id, '--decision', 'approved', '--comment', 'fine by me'], {
      key: manager.key,
    });
    expect(decided.code, decided.stderr).toBe(0);
    expect(decided.stdout).toContain(`approval ${id} at approve`);
    expect(decided.stdout).toContain('approved');

    const watched = await watching;
    expect(watched.code, watched.stderr + watched.stdout).toBe(0);
    expect(watched.stdout).toContain('approval at approve decided: approved');
    expect(watched.stdout).toMatch(/"approved": true/);

    const twice = await cli(['approve', id, '--decision', 'rejected'], { key: manager.key });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('409');
  });
});

describe('runs list', () => {
  it('lists runs of a workflow with a status filter', async () => {
    const name = unique('Listed');
    expect((await cli(['publish', file('listed.yaml', simpleWorkflow(name)), '--yes'])).code).toBe(0);
    expect(
      (await cli(['run', name, '--input', file('listed-input.yaml', { amount: 3 }), '--watch', '--interval', '200']))
        .code,
    ).toBe(0);
    const listed = await cli(['runs', 'list', '--workflow', name, '--status', 'completed']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^RUN\s+STATUS\s+WORKFLOW/);
    expect(listed.stdout).toContain(`${name} v1`);
    const none = await cli(['runs', 'list', '--workflow', name, '--status', 'failed']);
    expect(none.stdout).toContain('no runs');
  });

  it('says which server it cannot reach, with exit 1 and no stack', async () => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
    const result = await cli(['runs', 'list'], { env: { GRAPHFLOW_URL: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach graphflow at http://127.0.0.1:9');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('answers a wrong command line with exit 64', async () => {
    const result = await cli(['runs', 'list', '--status', 'sideways']);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('sideways');
  });
});

describe('export and import', () => {
  it('round-trips definitions with their versions into a second tenant, subworkflow calls pointed at the new ids', async () => {
    const calleeName = unique('Callee');
    const callee = simpleWorkflow(calleeName);
    const calleeFile = file('callee.yaml', callee);
    expect((await cli(['publish', calleeFile, '--yes', '-m', 'first'])).code).toBe(0);
    file('callee.yaml', {
      ...callee,
      nodes: [callee.nodes[0], { id: 'done', type: 'end', data: { output: { total: '{{ input.amount }}', v: 2 } } }],
    });
    expect((await cli(['publish', calleeFile, '--yes', '-m', 'second'])).code).toBe(0);
    const sourceCallee = (await workflowNamed(h.tenant, calleeName))!;

    const callerName = unique('Caller');
    const caller = {
      name: callerName,
      nodes: [
        { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'child', type: 'subworkflow', data: { workflowId: sourceCallee.id, input: { amount: 5 } } },
        { id: 'done', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'child' },
        { id: 'e2', source: 'child', target: 'done' },
      ],
    };
    expect((await cli(['publish', file('caller.yaml', caller), '--yes'])).code).toBe(0);
    const sourceCaller = (await workflowNamed(h.tenant, callerName))!;

    const out = path.join(work, 'export');
    const exported = await cli(['export', callerName, calleeName, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('exported 2 workflow(s)');

    const second = await h.newTenant();
    const imported = await cli(['import', out], { key: second.adminKey });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('imported 2 workflow(s)');

    const copiedCallee = (await workflowNamed(second, calleeName))!;
    expect(copiedCallee.latestVersion).toBe(2);
    const [before, after] = [await versionsOf(h.tenant, sourceCallee.id), await versionsOf(second, copiedCallee.id)];
    expect(after.map((v) => [v.version, v.changeDescription, v.definition])).toEqual(
      before.map((v) => [v.version, v.changeDescription, v.definition]),
    );
    expect(copiedCallee.definition).toEqual(sourceCallee.definition);

    const copiedCaller = (await workflowNamed(second, callerName))!;
    expect(copiedCaller.id).not.toBe(sourceCaller.id);
    const [callerVersion] = await versionsOf(second, copiedCaller.id);
    const childNode = (callerVersion!.definition.nodes as Array<{ id: string; data: { workflowId?: string } }>).find(
      (n) => n.id === 'child',
    );
    expect(childNode?.data.workflowId).toBe(copiedCallee.id);

    // Importing again changes nothing: the names are there already.
    const again = await cli(['import', out], { key: second.adminKey });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('imported 0 workflow(s)');
    expect((await workflowNamed(second, calleeName))?.latestVersion).toBe(2);
  });
});
