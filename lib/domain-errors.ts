/**
 * What a service refuses, in the domain's words. Services and runs/ throw these; the API's one error handler
 * turns them into problem+json (api/errors.ts, `problemOf`), and nothing below api/ needs to know about HTTP.
 */

/** One problem of a refused input: where it is (`input.amount`, `nodes[3].data.url`) and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

/** A refusal; `details` are facts the caller may act on (the run a key already started, why a vote was refused). */
export abstract class DomainError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** What was named does not exist for this tenant (another tenant's looks the same: it is not there). */
export class NotFound extends DomainError {
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`${what} "${id}" was not found`);
  }
}

/** The request is sound but the state of things refuses it (an archived workflow, a key used with other input). */
export class Conflict extends DomainError {}

/** The caller may not do this. */
export class Forbidden extends DomainError {}

/** The input is wrong; `problems` lists every problem, not just the first. */
export class InvalidInput extends DomainError {
  constructor(
    message: string,
    readonly problems: Problem[],
  ) {
    super(message);
  }
}

/** A definition that cannot be published; `problems` lists every problem. */
export class InvalidDefinition extends DomainError {
  constructor(
    message: string,
    readonly problems: Problem[],
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

export type Dependency = 'temporal' | 'database';

/**
 * A service this needs is away; retrying later may work. `code` names what could not be done when that is
 * narrower than "the dependency is down" (`schedules-not-synced`: the workflow was saved, its schedules were not).
 */
export class Unavailable extends DomainError {
  constructor(
    readonly dependency: Dependency,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
