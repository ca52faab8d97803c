/**
 * What a webhook delivery reads before it can start a run: the trigger its path names, the workflow and the
 * version a run pins, the tenant's variables, and the sealed secrets that verify it. Read once per API process and
 * kept until the database announces a change to any of them (migration 0011's triggers, on the run-events
 * channel, from whichever process or tool wrote it), so a delivery costs no reads at all on a hit.
 *
 * A copy is kept only while the LISTEN is live: a change committed while announcements were not flowing would go
 * unnoticed. A read that overlapped an announcement is not kept either (the generation moved on), so a copy never
 * outlives the change that made it stale. A miss reads as an uncached delivery would.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { DefinitionsListener } from '../../db/run-events';
import { workflows, workflowTriggers, workflowVariables } from '../../db/schema';
import type { WebhookPreset } from '../../lib/webhook-signature';
import { type Pinned, type PinRefusal, resolvePin } from '../../runs/pin';
import { tenantVariables } from '../../runs/start';

export interface WebhookTriggerConfig {
  secretRef?: string;
  previousSecretRef?: string;
  preset?: WebhookPreset;
  input?: unknown;
  idempotencyKey?: string;
}

/** A secret as stored: still sealed (opened per delivery, so a key rotation applies at once). */
export interface SealedSecret {
  name: string;
  encrypted: string | null;
  keyId: string | null;
}

export interface WebhookTarget {
  trigger: { id: string; tenantId: string; workflowId: string; nodeId: string; config: WebhookTriggerConfig };
  /** The latest published version a run pins, or why none starts. */
  pin: Pinned | PinRefusal;
  variables: Record<string, unknown>;
  /** The trigger's secretRef and previousSecretRef as the store holds them (absent when the store has none). */
  secrets: SealedSecret[];
}

/** What the cache needs of the LISTEN connection (RunEventHub). */
export interface DefinitionsFeed {
  readonly live: boolean;
  onDefinitionsChanged(listener: DefinitionsListener): () => void;
}

/** Enough for every webhook a process serves; past it the copies are dropped and read again. */
const MAX_ENTRIES = 10_000;

/** Reads a target as an uncached delivery does: undefined for no active webhook trigger at this path. */
export async function readWebhookTarget(db: Db, tenantId: string, path: string): Promise<WebhookTarget | undefined> {
  const found = (
    await db
      .select({ trigger: workflowTriggers, workflowStatus: workflows.status })
      .from(workflowTriggers)
      .innerJoin(workflows, eq(workflows.id, workflowTriggers.workflowId))
      .where(
        and(
          eq(workflowTriggers.tenantId, tenantId),
          eq(workflowTriggers.path, path),
          eq(workflowTriggers.isActive, true),
          eq(workflowTriggers.triggerType, 'webhook'),
        ),
      )
      .limit(1)
  )[0];
  if (!found || found.workflowStatus === 'archived') return undefined;
  const { trigger } = found;
  const config = trigger.config as WebhookTriggerConfig;
  const names = [config.secretRef, config.previousSecretRef].filter((n): n is string => !!n);
  const [pin, variables, secrets] = await Promise.all([
    resolvePin(db, tenantId, trigger.workflowId, undefined),
    tenantVariables(db, tenantId),
    Promise.all(names.map((name) => readSealed(db, tenantId, name))),
  ]);
  return {
    trigger: { id: trigger.id, tenantId, workflowId: trigger.workflowId, nodeId: trigger.nodeId, config },
    pin,
    variables,
    secrets: secrets.filter((s): s is SealedSecret => !!s),
  };
}

async function readSealed(db: Db, tenantId: string, name: string): Promise<SealedSecret | undefined> {
  const row = (
    await db
      .select({ encrypted: workflowVariables.encrypted, keyId: workflowVariables.keyId })
      .from(workflowVariables)
      .where(
        and(
          eq(workflowVariables.tenantId, tenantId),
          eq(workflowVariables.key, name),
          eq(workflowVariables.type, 'secret'),
        ),
      )
      .limit(1)
  )[0];
  return row ? { name, ...row } : undefined;
}

export class WebhookTargetCache {
  private readonly byTenant = new Map<string, Map<string, WebhookTarget>>();
  private size = 0;
  /** Moves on at every announcement: a read that began before one must not be kept. */
  private generation = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Db,
    private readonly feed: DefinitionsFeed,
  ) {
    this.unsubscribe = feed.onDefinitionsChanged((tenantId) => this.forget(tenantId));
  }

  async find(tenantId: string, path: string): Promise<WebhookTarget | undefined> {
    const kept = this.byTenant.get(tenantId)?.get(path);
    if (kept) return kept;
    const live = this.feed.live;
    const generation = this.generation;
    const target = await readWebhookTarget(this.db, tenantId, path);
    // Misses are not kept: a stranger's made-up paths must not fill memory.
    if (target && live && this.feed.live && generation === this.generation) this.keep(tenantId, path, target);
    return target;
  }

  /** How many targets are held (tests). */
  get entries(): number {
    return this.size;
  }

  close(): void {
    this.unsubscribe();
    this.forget(undefined);
  }

  private keep(tenantId: string, path: string, target: WebhookTarget): void {
    if (this.size >= MAX_ENTRIES) this.forget(undefined);
    let paths = this.byTenant.get(tenantId);
    if (!paths) this.byTenant.set(tenantId, (paths = new Map()));
    if (!paths.has(path)) this.size++;
    paths.set(path, target);
  }

  private forget(tenantId: string | undefined): void {
    this.generation++;
    if (tenantId === undefined) {
      this.byTenant.clear();
      this.size = 0;
      return;
    }
    this.size -= this.byTenant.get(tenantId)?.size ?? 0;
    this.byTenant.delete(tenantId);
  }
}
