/** Starting runs, as the API's routes call it: the one way to start a run lives in runs/start.ts. */
export {
  newRunId,
  type StartDeps as RunDeps,
  type StartedRun,
  type Starter,
  type StartRunRequest,
  startRun,
  tenantVariables,
} from '../../runs/start';
