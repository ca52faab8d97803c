/**
 * One dependency's outage as three kinds of log line instead of one per failed
 * call: when it starts, a summary every so often while it lasts, and when it
 * ends. The end is found by probing the dependency while it is down, since the
 * failures themselves stop arriving once callers give up; and it is declared
 * only once the dependency has stayed up for a moment (`settleMs`), so one
 * that flaps while it comes back (a server answering before it is ready) is
 * one outage, not several.
 */

export interface OutageLogOptions {
  /** The dependency's name in the lines ("temporal", "database"). */
  name: string;
  /** Answers when the dependency is back; throws while it is down. */
  probe: () => Promise<unknown>;
  log?: (line: string) => void;
  probeEveryMs?: number;
  summaryEveryMs?: number;
  /** How long the dependency must answer without a failure before the outage is over. */
  settleMs?: number;
}

export class OutageLog {
  private since: number | undefined;
  /** While down: when calls began to go through again (undefined while they fail). */
  private upSince: number | undefined;
  private failures = 0;
  private lastError = '';
  private lastSummary = 0;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private readonly log: (line: string) => void;

  constructor(private readonly options: OutageLogOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  get down(): boolean {
    return this.since !== undefined;
  }

  /** A call failed because the dependency is unreachable. */
  failure(error: unknown): void {
    this.failures++;
    this.upSince = undefined;
    this.lastError = String((error as Error)?.message ?? error)
      .split('\n')[0]!
      .slice(0, 200);
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.lastSummary = this.since;
    this.log(`[${this.options.name}] unavailable: ${this.lastError}`);
    this.timer = setInterval(() => void this.tick(), this.options.probeEveryMs ?? 1000);
    this.timer.unref();
  }

  /** A call went through: the outage, if any, ends once calls have gone through for `settleMs`. */
  success(): void {
    if (this.since === undefined) return;
    const now = Date.now();
    this.upSince ??= now;
    if (now - this.upSince < (this.options.settleMs ?? 3000)) return;
    this.log(
      `[${this.options.name}] available again after ${seconds(this.upSince - this.since)} (${this.failures} failed call(s) meanwhile)`,
    );
    this.reset();
  }

  close(): void {
    this.reset();
  }

  private reset(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.since = undefined;
    this.upSince = undefined;
    this.failures = 0;
  }

  private async tick(): Promise<void> {
    if (this.probing || this.since === undefined) return;
    this.probing = true;
    try {
      await this.options.probe();
      this.success();
    } catch (error) {
      this.lastError = String((error as Error)?.message ?? error)
        .split('\n')[0]!
        .slice(0, 200);
      const now = Date.now();
      if (this.since !== undefined && now - this.lastSummary >= (this.options.summaryEveryMs ?? 30_000)) {
        this.lastSummary = now;
        this.log(
          `[${this.options.name}] still unavailable after ${seconds(now - this.since)} (${this.failures} failed call(s)); last error: ${this.lastError}`,
        );
      }
    } finally {
      this.probing = false;
    }
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
