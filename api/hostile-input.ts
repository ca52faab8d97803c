/**
 * Input no route should ever see (api-contract.md, "Trust rules"): NUL
 * characters (PostgreSQL refuses them in text and jsonb), lone UTF-16
 * surrogates (jsonb refuses them) and JSON nested more than 64 levels deep
 * (recursive code further on would overflow the stack). Each is a 400 naming
 * every place it occurs, before any handler runs, instead of a 500 from deep
 * inside.
 */
import type { FastifyInstance } from 'fastify';
import { MAX_JSON_DEPTH, type JsonPath, walkJson } from '../interpreter/json-walk';
import { badRequest, type ProblemEntry } from './errors';
import { LONE_SURROGATE, pathText } from '../lib/json-path-text';

export { pathText };

export { MAX_JSON_DEPTH };

/** Past this many, the answer says how many more there are rather than listing them. */
const MAX_LISTED = 50;

const TOO_DEEP = `nested more than ${MAX_JSON_DEPTH} levels deep`;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text))
    return 'contains a lone UTF-16 surrogate (half of a character), which cannot be stored';
  return undefined;
}

/** Every NUL, lone surrogate (in values and in keys) and over-deep nesting inside an already parsed value. */
export function hostileProblems(value: unknown, root: string): ProblemEntry[] {
  const problems: ProblemEntry[] = [];
  let more = 0;
  const report = (path: JsonPath, message: string) => {
    if (problems.length < MAX_LISTED) problems.push({ path: pathText(root, path), message });
    else more++;
  };
  walkJson(value, (v, place) => {
    const badKey = typeof place.key === 'string' ? textProblem(place.key) : undefined;
    if (badKey) report(place.path(), `its name ${badKey}`);
    if (typeof v === 'string') {
      const why = textProblem(v);
      if (why) report(place.path(), why);
    } else if (v && typeof v === 'object' && place.depth >= MAX_JSON_DEPTH) {
      report(place.path(), TOO_DEEP);
      return false;
    }
    return true;
  });
  if (more) problems.push({ path: root, message: `and ${more} more problem(s) of the same kinds` });
  return problems;
}

/**
 * Where JSON text first nests more than the limit, found by scanning the text
 * itself (strings skipped) so that nothing deeper is ever built. Only the
 * brackets, commas, colons and keys are read; the text may still be invalid
 * JSON, which the parser that follows reports.
 */
export function tooDeepInText(text: string, limit = MAX_JSON_DEPTH): JsonPath | undefined {
  const open: Array<{ list: boolean; index: number; keyAt: [number, number] | undefined }> = [];
  let lastString: [number, number] | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      lastString = [start, i + 1];
    } else if (c === 0x7b || c === 0x5b) {
      if (open.length >= limit) return open.map((f) => (f.list ? f.index : keyText(text, f.keyAt)));
      open.push({ list: c === 0x5b, index: 0, keyAt: undefined });
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
    } else if (c === 0x2c) {
      const top = open[open.length - 1];
      if (top?.list) top.index++;
    } else if (c === 0x3a) {
      const top = open[open.length - 1];
      if (top && !top.list) top.keyAt = lastString;
    }
  }
  return undefined;
}

function keyText(text: string, at: [number, number] | undefined): string {
  if (!at) return '?';
  const raw = text.slice(at[0], at[1]);
  try {
    return String(JSON.parse(raw));
  } catch {
    return raw.slice(1, -1);
  }
}

const refused = (problems: ProblemEntry[]) =>
  badRequest(
    `The request has ${problems.length} problem(s) no route accepts (NUL characters, lone surrogates or nesting over ${MAX_JSON_DEPTH} levels); nothing was changed.`,
    problems,
  );

/**
 * JSON from a request, refused (400, HttpProblem) when it nests too deep or holds NUL or lone surrogates.
 * `ok: false` when the text is not JSON at all: the caller decides what that means.
 */
export function parseUntrustedJson(text: string, root = 'body'): { ok: true; value: unknown } | { ok: false } {
  const deep = tooDeepInText(text);
  if (deep) throw refused([{ path: pathText(root, deep), message: TOO_DEEP }]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  return { ok: true, value: refuseHostile(value, root) };
}

/** The value itself, or the 400 listing every problem `hostileProblems` finds in it. */
export function refuseHostile<T>(value: T, root = 'body'): T {
  const problems = hostileProblems(value, root);
  if (problems.length) throw refused(problems);
  return value;
}

/**
 * Guards every route registered after it: JSON bodies are measured before they are parsed, and parsed
 * bodies, query strings and path parameters are checked before validation. Routes that keep the raw body
 * (webhooks, documents) check what they parse themselves.
 */
export function guardHostileInput(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const deep = tooDeepInText(body as string);
    if (deep) return done(refused([{ path: pathText('body', deep), message: TOO_DEEP }]), undefined);
    void parseJson(request, body as string, done);
  });
  app.addHook('preValidation', async (request) => {
    const problems = [
      ...hostileProblems(request.params, 'params'),
      ...hostileProblems(request.query, 'querystring'),
      ...(Buffer.isBuffer(request.body) ? [] : hostileProblems(request.body, 'body')),
    ];
    if (problems.length) throw refused(problems);
  });
}
