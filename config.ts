/**
 * The one configuration of API and worker: environment parsed once at boot by
 * a zod schema, so a bad value fails at start with the variable's name.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseDuration } from './interpreter/durations';
import type { SecretKeys } from './db/secrets';

export const projectRoot = path.dirname(fileURLToPath(import.meta.url));

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  DATA_DIR: z.string().min(1).default(path.join(projectRoot, '.data')),
  TEMPORAL_ADDRESS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'must be host:port')
      .optional(),
  ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('workflows'),
  TEMPORAL_UI_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  SMTP_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  SMTP_FROM: z.string().min(3).default('graphflow <noreply@localhost>'),
  SLACK_TOKEN: z.preprocess(emptyAsUndefined, z.string().optional()),
  SLACK_API_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  SECRETS_KEY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine(
        (v) => Buffer.from(v, 'base64').length === 32,
        'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      )
      .optional(),
  ),
  ENV_SECRETS: z.string().optional(),
  SECRETS_KEY_PREVIOUS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
      .optional(),
  ),
  /**
   * JWT sign-in (all three or none): the identity provider's key set, and the `iss` and `aud` its tokens must carry.
   */
  AUTH_JWKS_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  ),
  AUTH_ISSUER: z.preprocess(emptyAsUndefined, z.string().trim().min(1).optional()),
  AUTH_AUDIENCE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((v) => v.split(',').some((a) => a.trim()), 'must name at least one audience (comma-separated)')
      .optional(),
  ),
  ADMIN_API_KEY: z.preprocess(emptyAsUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  /** A bearer token that may read GET /metrics (besides admin keys of the default tenant). */
  METRICS_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  HTTP_ALLOW_PRIVATE: z.preprocess(emptyAsUndefined, boolean.default(false)),
  /** Node outputs larger than this (bytes of JSON) are stored in PostgreSQL and referenced. */
  MAX_INLINE_OUTPUT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** A run continues as new once its history holds this many events (Temporal's own suggestion comes first). */
  RUN_HISTORY_LIMIT: z.coerce.number().int().min(200).max(50_000).default(8000),
  /** Publish refuses a graph whose runs could make more node runs than this (nested loops, cycles). */
  MAX_GRAPH_WORK: z.coerce.number().int().min(1).max(100_000_000).default(100_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Requests a minute per API key on /api, per client address on /hooks and /approve; 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** How long an Idempotency-Key or a webhook delivery is remembered: `24h`, `90m`, `3600s`, or milliseconds. */
  IDEMPOTENCY_TTL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('24h')
      .transform((v, ctx) => {
        const ms = /^\d+$/.test(v.trim()) ? Number(v) : parseDuration(v);
        if (ms === undefined || ms < 1000) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be a duration of at least a second, like 24h, 90m, 3600s, or milliseconds',
          });
          return z.NEVER;
        }
        return ms;
      }),
  ),
});

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  temporal: {
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    uiUrl: string | undefined;
    devPort: number;
    uiPort: number;
  };
  smtpUrl: string | undefined;
  smtpFrom: string;
  slack: { token: string | undefined; apiUrl: string | undefined };
  secretsKey: string | undefined;
  secretsKeyPrevious: string | undefined;
  /** Environment variables the default tenant may name as secrets (webhook signing); no others, and no other tenant. */
  envSecrets: string[];
  adminApiKey: string | undefined;
  /** Bearer token for GET /metrics (METRICS_TOKEN); admin keys of the default tenant are accepted too. */
  metricsToken: string | undefined;
  /** Bearer JWTs are accepted beside API keys when set (AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE). */
  jwtSignIn: JwtSignInSettings | undefined;
  httpAllowPrivate: boolean;
  maxInlineOutputBytes: number;
  runHistoryLimit: number;
  maxGraphWork: number;
  logLevel: string;
  rateLimitPerMinute: number;
  idempotencyTtlMs: number;
}

/** Thrown when the environment is invalid; its message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface JwtSignInSettings {
  jwksUrl: string;
  issuer: string;
  /** A token is accepted when its `aud` names any of these (AUTH_AUDIENCE, comma-separated). */
  audience: string[];
}

const JWT_SIGN_IN_VARIABLES = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const;

/**
 * All three or none: keys without an issuer and audience to check would accept tokens the provider minted for any other
 * application.
 */
function jwtSignInIssues(env: NodeJS.ProcessEnv): string[] {
  const given = JWT_SIGN_IN_VARIABLES.filter((name) => (env[name] ?? '').trim() !== '');
  if (given.length === 0 || given.length === JWT_SIGN_IN_VARIABLES.length) return [];
  return JWT_SIGN_IN_VARIABLES.filter((name) => !given.includes(name)).map(
    (name) =>
      `  ${name}: missing; JWT sign-in needs ${JWT_SIGN_IN_VARIABLES.join(', ')} together (${given.join(', ')} set)`,
  );
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const lines = [
    ...(parsed.error?.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`) ?? []),
    ...jwtSignInIssues(env),
  ];
  if (!parsed.success || lines.length) throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    smtpUrl: e.SMTP_URL,
    smtpFrom: e.SMTP_FROM,
    slack: { token: e.SLACK_TOKEN, apiUrl: e.SLACK_API_URL },
    secretsKey: e.SECRETS_KEY,
    secretsKeyPrevious: e.SECRETS_KEY_PREVIOUS,
    envSecrets: (e.ENV_SECRETS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    adminApiKey: e.ADMIN_API_KEY,
    metricsToken: e.METRICS_TOKEN,
    jwtSignIn:
      e.AUTH_JWKS_URL && e.AUTH_ISSUER && e.AUTH_AUDIENCE
        ? {
            jwksUrl: e.AUTH_JWKS_URL,
            issuer: e.AUTH_ISSUER,
            audience: e.AUTH_AUDIENCE.split(',')
              .map((a) => a.trim())
              .filter(Boolean),
          }
        : undefined,
    httpAllowPrivate: e.HTTP_ALLOW_PRIVATE,
    maxInlineOutputBytes: e.MAX_INLINE_OUTPUT_BYTES,
    runHistoryLimit: e.RUN_HISTORY_LIMIT,
    maxGraphWork: e.MAX_GRAPH_WORK,
    logLevel: e.LOG_LEVEL,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    idempotencyTtlMs: e.IDEMPOTENCY_TTL,
  };
}

/** The keys that seal and open stored secrets. */
export function secretKeysOf(config: Config): SecretKeys {
  return {
    envSecrets: new Set(config.envSecrets),
    current: config.secretsKey ? Buffer.from(config.secretsKey, 'base64') : undefined,
    previous: config.secretsKeyPrevious ? Buffer.from(config.secretsKeyPrevious, 'base64') : undefined,
  };
}
