/**
 * Events posted by a caller (`POST /api/events/:name`): runs/events.ts starts the workflows listening for them.
 * The platform's names are its own: a caller may listen for them, never post them.
 */
import { Forbidden } from '../../lib/domain-errors';
import { isPlatformEvent, PLATFORM_EVENTS } from '../../runs/events';

export { type EventRun, isPlatformEvent, PLATFORM_EVENTS, startEventRuns } from '../../runs/events';

/**
 * Refuses a platform event name from a caller: a forged `run.failed` would start every error handler listening for it.
 */
export function assertPostable(name: string): void {
  if (isPlatformEvent(name)) {
    throw new Forbidden(
      `"${name}" is a platform event name (run.* and approval.* are reserved; the platform emits ${PLATFORM_EVENTS.join(', ')}). A workflow may listen for it, but only the platform posts it; post your own events under another name.`,
    );
  }
}
