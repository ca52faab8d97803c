/** A failure that ends the run because of the definition or its data (not a bug): reported, never retried. */
export class RunFailure extends Error {
  override name = 'RunFailure';
  constructor(
    message: string,
    readonly nodeId?: string,
  ) {
    super(message);
  }
}
