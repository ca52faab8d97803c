/**
 * Sending an Update to a run, again while its refusal is one that passes on its own: about 5 s of retries. The Update
 * was not accepted, so its id is free to send again.
 */
import { ServiceError } from '@temporalio/client';

const ATTEMPTS = 20;
const PAUSE_MS = 250;

/**
 * The workflow task carrying an Update was refused because something else happened to the run meanwhile (an activity
 * finished): Temporal drops the Update with that task, and sending it again lets a new task take it.
 */
export function droppedWithWorkflowTask(error: unknown): boolean {
  return (
    error instanceof ServiceError &&
    /workflow task failure/i.test(`${error.message} ${(error.cause as Error | undefined)?.message ?? ''}`)
  );
}

/** Sends until it is answered, or refused for good: then throws `refusal(error)` (a domain error) or the error. */
export async function sendUpdate<T>(
  send: () => Promise<T>,
  passes: (error: unknown) => boolean,
  refusal: (error: unknown) => Error | undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt < ATTEMPTS && passes(error)) {
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
        continue;
      }
      throw refusal(error) ?? error;
    }
  }
}
