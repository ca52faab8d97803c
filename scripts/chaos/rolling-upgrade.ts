/**
 * Fault 5: a rolling restart of the workers onto a new build while runs wait.
 * The old build is the workflow code as it was before its last change (the
 * committed code when the work tree changes it, else the parent of the last
 * commit that changed workflows/, interpreter/ or lib/); the new build is the
 * code here. Runs start on old-build workers and wait on approvals; the workers
 * are replaced one by one (a new one up, then the old one stopped gracefully);
 * the approvals are then decided and the runs finish on the new build, which
 * replays their histories from the start.
 *
 * Promise: no workflow task failed (the histories say so, and no worker logged a
 * nondeterminism error), and every run completes.
 * The activities are this tree's in both builds: it is the workflow code that replays.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../python-tools';
import { cachedWorkflowBundle } from '../workflow-bundle';
import { startApprover } from './api';
import { approvalNode, FAST_RETRY, type FaultContext, type FaultResult, httpNode, until } from './fault';
import { waitForRuns } from './runs';

const run = promisify(execFile);
const WORKFLOW_DIRS = ['workflows', 'interpreter', 'lib'];
const REPLAY_ERROR = /nondetermin|TMPRL1100|DeterminismViolation/i;

/** The commit whose workflow code is "the old build", and why. */
async function oldBuildCommit(): Promise<{ commit: string; why: string }> {
  const git = (args: string[]) => run('git', args, { cwd: projectRoot }).then((r) => r.stdout.trim());
  const dirty = await run('git', ['diff', '--quiet', 'HEAD', '--', ...WORKFLOW_DIRS], { cwd: projectRoot }).then(
    () => false,
    () => true,
  );
  if (dirty)
    return {
      commit: await git(['rev-parse', '--short', 'HEAD']),
      why: 'HEAD (the work tree changes the workflow code)',
    };
  const last = await git(['log', '-n', '1', '--format=%h', '--', ...WORKFLOW_DIRS]);
  return {
    commit: await git(['rev-parse', '--short', `${last}^`]),
    why: `before ${last}, the last commit that changed the workflow code`,
  };
}

export async function rollingUpgrade(ctx: FaultContext): Promise<FaultResult> {
  const { cluster, api, target, quick } = ctx;
  const runs = quick ? 10 : 50;
  let old: { commit: string; why: string };
  try {
    old = await oldBuildCommit();
  } catch (error) {
    return {
      name: '5. rolling restart onto a new build',
      figures: [
        ['skipped', `no git history to take the old build from (${String((error as Error).message).split('\n')[0]})`],
      ],
      problems: [],
    };
  }
  const tree = path.join(cluster.options.dataDir, 'old-build');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  // The whole tree of that commit, inside the project, so the old code resolves its packages from this node_modules.
  await run('sh', ['-c', `git archive ${old.commit} | tar -x -C "${tree}"`], { cwd: projectRoot });
  ctx.log(`fault 5: bundling the old build (${old.commit})`);
  const oldBundle = await cachedWorkflowBundle(
    path.join(tree, 'workflows', 'index.ts'),
    path.join(cluster.options.dataDir, 'old-bundle'),
  );

  // Every worker now runs the old build.
  const current = cluster.workers.filter((w) => !w.exited());
  const oldWorkers = await Promise.all(
    current.map((_, i) => cluster.startWorker(cluster.workers.length + i, { bundlePath: oldBundle.codePath })),
  );
  await Promise.all(current.map((w) => w.stop()));

  const workflowId = await api.publish('Chaos rolling upgrade', {
    configuration: FAST_RETRY,
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      httpNode('roll-before', target.url),
      approvalNode('ok'),
      { id: 'wait', type: 'delay', data: { duration: '1s' } },
      httpNode('roll-after', target.url),
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'roll-before' },
      { id: 'e2', source: 'roll-before', target: 'ok' },
      { id: 'e3', source: 'ok', sourceHandle: 'approved', target: 'wait' },
      { id: 'e4', source: 'wait', target: 'roll-after' },
      { id: 'e5', source: 'roll-after', target: 'e' },
    ],
  });
  const runIds = await Promise.all(Array.from({ length: runs }, () => api.startRun(workflowId)));
  const mine = new Set(runIds);
  if (
    !(await until(
      async () => (await api.pendingApprovals()).filter((a) => mine.has(a.instanceId)).length === runs,
      120_000,
    ))
  ) {
    throw new Error(`the ${runs} runs did not all reach their approval on the old build`);
  }

  ctx.log(`fault 5: ${runs} runs wait on the old build; rolling ${oldWorkers.length} workers onto the new build`);
  for (const worker of oldWorkers) {
    await cluster.startWorker(cluster.workers.length);
    await worker.stop();
  }
  const approver = startApprover(api);
  const outcome = await waitForRuns(ctx.temporal, runIds, quick ? 180_000 : 600_000);
  await approver.stop();

  const problems = [...outcome.problems.slice(0, 10)];
  if (outcome.completed !== runs) problems.push(`${runs - outcome.completed} of ${runs} runs did not complete`);
  // What the server recorded: a workflow task the new build failed on replay shows in the run's history.
  let failedTasks = 0;
  for (const id of runIds) {
    const history = await ctx.temporal.workflow.getHandle(id).fetchHistory();
    for (const event of history.events ?? []) {
      const failure = event.workflowTaskFailedEventAttributes;
      if (!failure) continue;
      failedTasks++;
      problems.push(
        `${id}: workflow task failed (cause ${String(failure.cause)}): ${String(failure.failure?.message ?? '').slice(0, 300)}`,
      );
    }
  }
  let replayErrors = 0;
  for (const worker of cluster.workers) {
    const lines = readFileSync(worker.logFile, 'utf8')
      .split('\n')
      .filter((l) => REPLAY_ERROR.test(l));
    replayErrors += lines.length;
    if (lines.length) problems.push(`${worker.name}: ${lines[0]!.slice(0, 300)}`);
  }
  return {
    name: '5. rolling restart onto a new build',
    figures: [
      ['old build', `${old.commit}: ${old.why}`],
      ['runs waiting through the roll', runs],
      ['workers rolled', oldWorkers.length],
      ["failed workflow tasks in the runs' histories", failedTasks],
      ['replay errors in worker logs', replayErrors],
      ['runs completed', `${outcome.completed} of ${runs}`],
    ],
    problems,
  };
}
