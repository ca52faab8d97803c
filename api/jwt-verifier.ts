/**
 * Bearer JWTs beside API keys: a token is checked against the identity
 * provider's published keys (AUTH_JWKS_URL, fetched and cached by `jose`), its
 * issuer and audience (AUTH_ISSUER, AUTH_AUDIENCE) and its lifetime. Which user
 * it stands for is api/jwt-caller.ts's to say.
 *
 * A token the provider did not sign for us is 401. A key set that cannot be
 * fetched is 503: the caller's token may well be good, and nobody's can be
 * checked until the provider answers again. The token itself is never logged
 * nor echoed.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtSignInSettings } from '../config';
import { HttpProblem } from './errors';

/**
 * Asymmetric algorithms only: were an HMAC one allowed, a token "signed" with
 * the provider's public key as the secret would pass (algorithm confusion).
 * `none` is refused by not being listed.
 */
export const JWT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

/** Seconds of clock difference forgiven between the provider and this server. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;

/** A provider slower than this to hand out its keys counts as unreachable. */
const JWKS_TIMEOUT_MS = 3000;

/** An unreachable key set is logged at most this often, not once per request. */
const UNREACHABLE_LOG_INTERVAL_MS = 30_000;

/** Checks a token and answers its claims, or throws a 401 or 503 HttpProblem. */
export type JwtVerifier = (token: string) => Promise<JWTPayload>;

/**
 * Three base64url parts (the last empty for an unsigned `alg: none` token, so
 * that it is refused by name). API keys (`gf_…`) never contain a dot.
 */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

/** Raised inside the key lookup so the verifier can tell "the provider is away" from "the token is bad". */
class KeySetUnreachable extends Error {
  constructor(cause: unknown) {
    super('the JSON Web Key Set could not be fetched', { cause });
  }
}

/**
 * What the key lookup may say about the token itself (no key for its `kid` or `alg`), as opposed to about the provider.
 */
const TOKEN_CODES = new Set([
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JOSENotSupported.code,
  errors.JOSEAlgNotAllowed.code,
]);

const joseCode = (error: unknown): string | undefined => (error instanceof errors.JOSEError ? error.code : undefined);

const unauthorized = (detail: string) => new HttpProblem(401, 'unauthorized', detail);

export const identityProviderUnavailable = () =>
  new HttpProblem(
    503,
    'identity-provider-unavailable',
    "The identity provider's signing keys (AUTH_JWKS_URL) could not be fetched, so no token can be checked now. Retry shortly; API keys still work.",
    undefined,
    { unavailable: 'identity_provider_unavailable' },
  );

/** Says why a token was refused in words that help its holder, without repeating any of it. */
function refusal(error: unknown): HttpProblem {
  const code = joseCode(error);
  if (code === errors.JWTExpired.code) return unauthorized('This token has expired; sign in again.');
  if (code === errors.JWTClaimValidationFailed.code) {
    const claim = (error as InstanceType<typeof errors.JWTClaimValidationFailed>).claim;
    if (claim === 'iss')
      return unauthorized(
        'This token was not issued by the identity provider this API trusts (its `iss` claim does not match).',
      );
    if (claim === 'aud')
      return unauthorized('This token was not issued for this API (its `aud` claim does not match).');
    return unauthorized(`This token was refused: its \`${claim}\` claim is missing or not valid now.`);
  }
  if (code === errors.JOSEAlgNotAllowed.code)
    return unauthorized(
      `This token's algorithm is not accepted; tokens must be signed with ${JWT_ALGORITHMS.join(', ')}.`,
    );
  if (
    code === errors.JWSSignatureVerificationFailed.code ||
    code === errors.JWKSNoMatchingKey.code ||
    code === errors.JWKSMultipleMatchingKeys.code
  ) {
    return unauthorized("This token's signature does not match any signing key of the identity provider.");
  }
  return unauthorized('This bearer token is not a well-formed, signed JWT.');
}

export interface JwtVerifierOptions {
  /** Told (at most every 30 s) when the key set cannot be fetched; never given the token. */
  onUnreachable?: (error: unknown) => void;
}

export function createJwtVerifier(settings: JwtSignInSettings, options: JwtVerifierOptions = {}): JwtVerifier {
  const keySet = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS });
  let lastReportedAt = 0;
  const report = (error: unknown) => {
    const now = Date.now();
    if (now - lastReportedAt < UNREACHABLE_LOG_INTERVAL_MS) return;
    lastReportedAt = now;
    options.onUnreachable?.(error);
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      const code = joseCode(error);
      if (code && TOKEN_CODES.has(code)) throw error;
      // A refused connection, a timeout, a non-200 answer, a body that is not a key set: the provider's trouble.
      throw new KeySetUnreachable(error);
    }
  };

  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: JWT_ALGORITHMS,
        clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
        // A token without an expiry would be good forever once leaked.
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (error) {
      if (error instanceof KeySetUnreachable) {
        report(error.cause);
        throw identityProviderUnavailable();
      }
      throw refusal(error);
    }
  };
}
