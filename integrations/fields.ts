/** Field shapes the providers' config schemas share. Pure (zod only): the interpreter imports these at publish. */
import { z } from 'zod';

/** A text that may hold `{{ … }}` templates, rendered before the send. */
export const template = z.string().min(1);

/** One address or several: a list, or one text (which may itself list them, comma-separated). */
export const recipients = z.union([z.array(template).min(1), template]);

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const httpMethod = z.enum(HTTP_METHODS);
