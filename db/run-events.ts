/**
 * Live run changes: the projection writes announce each change with
 * `pg_notify('graphflow_runs', {tenantId, runId, kind})`, and each API process
 * keeps one LISTEN connection (RunEventHub) that fans the announcements out to
 * its subscribers (the SSE streams). Through PostgreSQL, so a change written
 * by any worker reaches every API process; PGlite does the same in process.
 *
 * An announcement says only what changed; subscribers read the run again.
 */
import { sql } from 'drizzle-orm';
import type { Database, Db } from './client';

export const RUN_EVENTS_CHANNEL = 'graphflow_runs';

/**
 * Sent on the same channel (so the one LISTEN connection serves both) by database triggers (migration 0011) when a
 * tenant's workflows, versions, triggers or variables change: `{tenantId, kind: 'definitions'}`.
 */
export const DEFINITIONS_CHANGED = 'definitions';

/** Told a tenant's definitions changed; `undefined` when any may have (announcements were lost or not yet flowing). */
export type DefinitionsListener = (tenantId: string | undefined) => void;

function parseDefinitionsChange(payload: string): string | undefined {
  try {
    const value = JSON.parse(payload) as { tenantId?: unknown; kind?: unknown };
    if (value.kind === DEFINITIONS_CHANGED && typeof value.tenantId === 'string') return value.tenantId;
  } catch {
    // Not ours: ignored.
  }
  return undefined;
}

/** `run`: its status; `step`: a step record; `approval`: an approval asked, escalated or closed. */
export type RunChangeKind = 'run' | 'step' | 'approval';

export interface RunChange {
  tenantId: string;
  runId: string;
  kind: RunChangeKind;
}

/**
 * What a subscriber receives: a change, or `resync` when changes may have been missed (the LISTEN connection was lost).
 */
export type RunEvent = { kind: RunChangeKind; runId: string } | { kind: 'resync' };

const KINDS: readonly string[] = ['run', 'step', 'approval'];

/**
 * Announces a change. Best effort: live views are a convenience over the projection, so a failed announcement
 * must not fail (and retry) the write that was made.
 */
export async function notifyRunChange(db: Db, change: RunChange): Promise<void> {
  await notifyRunChanges(db, [change]);
}

/** Announces several changes in one statement (one round trip), in order; best effort as `notifyRunChange`. */
export async function notifyRunChanges(db: Db, changes: RunChange[]): Promise<void> {
  if (!changes.length) return;
  const notices = changes.map(({ tenantId, runId, kind }) => {
    const payload = JSON.stringify({ tenantId, runId, kind });
    return sql`pg_notify(${RUN_EVENTS_CHANNEL}, ${payload})`;
  });
  await db.execute(sql`select ${sql.join(notices, sql`, `)}`).catch(() => {});
}

/** Announces a change of an approval, whose run the caller may not know: read from the approval's row. */
export async function notifyApprovalChange(db: Db, tenantId: string, approvalId: string): Promise<void> {
  await db
    .execute(
      sql`select pg_notify(${RUN_EVENTS_CHANNEL}, json_build_object('tenantId', tenant_id, 'runId', instance_id, 'kind', 'approval')::text) from workflow_approvals where id = ${approvalId} and tenant_id = ${tenantId}`,
    )
    .catch(() => {});
}

function parseChange(payload: string): RunChange | undefined {
  try {
    const value = JSON.parse(payload) as Partial<RunChange>;
    if (
      typeof value.tenantId === 'string' &&
      typeof value.runId === 'string' &&
      typeof value.kind === 'string' &&
      KINDS.includes(value.kind)
    )
      return value as RunChange;
  } catch {
    // Not ours (another program on the channel): ignored.
  }
  return undefined;
}

export interface RunSubscription {
  tenantId: string;
  /** Only this run's changes; every run of the tenant when unset. */
  runId?: string;
  deliver(event: RunEvent): void;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/** One LISTEN per process, opened at the first subscriber, reopened (with growing pauses) when lost. */
export class RunEventHub {
  private readonly byTenant = new Map<string, Set<RunSubscription>>();
  private readonly definitionListeners = new Set<DefinitionsListener>();
  private listening: Promise<void> | undefined;
  private stop: (() => Promise<void>) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RECONNECT_MIN_MS;
  private reconnecting = false;
  private closed = false;

  constructor(
    private readonly database: Pick<Database, 'listen'>,
    private readonly log: (message: string, error?: unknown) => void = () => {},
  ) {}

  /** Starts delivering; the returned function stops it (call it when the stream closes). */
  subscribe(subscription: RunSubscription): () => void {
    let set = this.byTenant.get(subscription.tenantId);
    if (!set) this.byTenant.set(subscription.tenantId, (set = new Set()));
    set.add(subscription);
    this.ensureListening();
    return () => {
      set.delete(subscription);
      if (set.size === 0 && this.byTenant.get(subscription.tenantId) === set)
        this.byTenant.delete(subscription.tenantId);
    };
  }

  /**
   * Calls `listener` for each definitions change, and with `undefined` whenever announcements may have been missed.
   * Until `live` is true, nothing that changes is announced: a cache must not keep what it reads.
   */
  onDefinitionsChanged(listener: DefinitionsListener): () => void {
    this.definitionListeners.add(listener);
    this.ensureListening();
    return () => this.definitionListeners.delete(listener);
  }

  /** True while the LISTEN is in place (every committed change since then is announced). */
  get live(): boolean {
    return this.stop !== undefined && !this.closed;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const set of this.byTenant.values()) count += set.size;
    return count;
  }

  /** Resolves once the LISTEN is in place (tests and callers that must not miss the next change). */
  ready(): Promise<void> {
    this.ensureListening();
    return this.listening ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.byTenant.clear();
    this.definitionListeners.clear();
    await this.listening?.catch(() => {});
    await this.stop?.();
  }

  private ensureListening(): void {
    if (this.listening || this.closed || this.retryTimer) return;
    this.listening = this.database
      .listen(
        RUN_EVENTS_CHANNEL,
        (payload) => this.dispatch(payload),
        (error) => this.lost(error),
      )
      .then((stop) => {
        this.stop = stop;
        this.retryDelay = RECONNECT_MIN_MS;
        if (this.closed) return void stop();
        // Changes made while it was away were not announced: read again now that announcements flow.
        if (this.reconnecting) this.resyncAll();
        this.reconnecting = false;
      })
      .catch((error: unknown) => this.lost(error));
  }

  private lost(error: unknown): void {
    this.stop = undefined;
    this.listening = undefined;
    if (this.closed) return;
    this.log(`live run updates paused: the LISTEN connection failed; retrying in ${this.retryDelay} ms`, error);
    this.reconnecting = true;
    this.resyncAll();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensureListening();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, RECONNECT_MAX_MS);
  }

  private resyncAll(): void {
    for (const listener of [...this.definitionListeners]) listener(undefined);
    for (const set of this.byTenant.values())
      for (const subscription of [...set]) subscription.deliver({ kind: 'resync' });
  }

  private dispatch(payload: string): void {
    const definitions = this.definitionListeners.size ? parseDefinitionsChange(payload) : undefined;
    if (definitions !== undefined) for (const listener of [...this.definitionListeners]) listener(definitions);
    const change = parseChange(payload);
    if (!change) return;
    const set = this.byTenant.get(change.tenantId);
    if (!set) return;
    for (const subscription of [...set]) {
      if (subscription.runId !== undefined && subscription.runId !== change.runId) continue;
      subscription.deliver({ kind: change.kind, runId: change.runId });
    }
  }
}
