/** The workflow bundle's entry: every workflow the worker registers. */
export { runGraph } from './run-graph';
export { periodReports } from './period-reports';
