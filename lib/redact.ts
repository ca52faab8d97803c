/**
 * Takes secret values out of what an activity lets go of: error messages,
 * Temporal failures, step outputs, log lines and notification rows carry
 * `[secret:NAME]` instead. A secret may come back in other spellings than the
 * one sent (a URL percent-encodes it, JSON escapes it), so each is replaced.
 */
import { ApplicationFailure } from '@temporalio/common';

export interface Redactor {
  /** Any JSON value with every secret value replaced; the same object when nothing needed replacing. */
  <T>(value: T): T;
  /** The failure to throw instead of `error`: the same kind, type and retry advice, with secrets taken out. */
  error(error: unknown): unknown;
  /** The secrets it takes out, by name. */
  readonly secrets: ReadonlyMap<string, string>;
}

/** Spellings shorter than this are not redacted: replacing every "a" would hide the output, not a secret. */
const MIN_REDACTED_LENGTH = 4;

export function redactorFor(secrets: ReadonlyMap<string, string>): Redactor {
  const spellings: Array<[string, string]> = [];
  for (const [name, value] of secrets) {
    const forms = new Set([value, encodeURIComponent(value), encodeURI(value), JSON.stringify(value).slice(1, -1)]);
    for (const form of forms) if (form.length >= MIN_REDACTED_LENGTH) spellings.push([form, `[secret:${name}]`]);
  }
  // Longest first, so a secret that contains another is replaced whole.
  spellings.sort((a, b) => b[0].length - a[0].length);

  const text = (s: string) => {
    let out = s;
    for (const [form, label] of spellings) if (out.includes(form)) out = out.split(form).join(label);
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), walk(x)]));
    return v;
  };

  const error = (thrown: unknown): unknown => {
    if (spellings.length === 0) return thrown;
    if (thrown instanceof ApplicationFailure) {
      return ApplicationFailure.create({
        message: text(thrown.message),
        type: thrown.type ?? undefined,
        nonRetryable: thrown.nonRetryable === true,
        details: thrown.details ? (walk(thrown.details) as unknown[]) : [],
        ...(thrown.nextRetryDelay !== undefined && thrown.nextRetryDelay !== null
          ? { nextRetryDelay: thrown.nextRetryDelay }
          : {}),
      });
    }
    // Not our own failure (a library's error): its message is all that is kept, and no stack that may quote a secret.
    const plain = new Error(text(thrown instanceof Error ? thrown.message : String(thrown)));
    plain.name = thrown instanceof Error ? thrown.name : 'Error';
    plain.stack = `${plain.name}: ${plain.message}`;
    return plain;
  };
  const redact = <T>(value: T): T => (spellings.length === 0 ? value : (walk(value) as T));
  return Object.assign(redact, { error, secrets });
}
