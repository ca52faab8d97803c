/**
 * The Slack provider's send, with @slack/web-api: a message checked against its schema (integrations/slack.ts),
 * or a notification's, posted to each of its channels. Temporal's retry policy is the one in charge: the client
 * does not retry, a rate limit comes back with the delay Slack asked for, and a platform error is permanent.
 */
import { ErrorCode, type WebAPICallError, WebClient } from '@slack/web-api';
import { type SlackConfig, slackConfig } from '../../integrations/slack';
import { FAILURES } from '../../lib/failures';
import { permanentFailure, retryableFailure } from '../errors';
import { addressList, asText, type Checked, checkConfig, derivedFrom } from './checked';
import type { CheckedNotification } from './notification';

export interface SlackSettings {
  slackToken: string | undefined;
  slackApiUrl: string | undefined;
}

/** What a Slack message says, from a checked config: only the two builders below make one. */
export type SlackMessage = Checked<{
  channels: string[];
  text: string;
  blocks: unknown[] | null;
  threadTs: string | null;
  /** A notification's subject: recorded with the intent, not posted (Slack messages have none). */
  subject: string | null;
}>;

/** An `integration` node's Slack config, checked as rendered (`thread_ts`, Slack's own spelling, is read too). */
export function checkSlackConfig(raw: Record<string, unknown>): Checked<SlackConfig> {
  return checkConfig('Slack', slackConfig, {
    ...raw,
    channel: asText(raw.channel),
    text: asText(raw.text),
    threadTs: asText(raw.threadTs ?? raw.thread_ts),
    blocks: raw.blocks ?? undefined,
  });
}

export function slackMessage(config: Checked<SlackConfig>): SlackMessage {
  return derivedFrom(config, {
    channels: addressList(config.channel),
    text: config.text,
    blocks: config.blocks ?? null,
    threadTs: config.threadTs ?? null,
    subject: null,
  });
}

export function slackFromNotification(notification: CheckedNotification): SlackMessage {
  return derivedFrom(notification, {
    channels: addressList(notification.recipients),
    text: notification.message,
    blocks: null,
    threadTs: null,
    subject: notification.subject ?? null,
  });
}

function slackFailure(error: unknown): Error {
  const e = error as WebAPICallError & { retryAfter?: number; data?: { error?: string } };
  if (e.code === ErrorCode.RateLimitedError)
    return retryableFailure(
      `Slack rate limited the call; retrying after ${e.retryAfter} s`,
      FAILURES.SlackRateLimited,
      (e.retryAfter ?? 1) * 1000,
    );
  if (e.code === ErrorCode.PlatformError)
    return permanentFailure(`Slack refused the message: ${e.data?.error ?? e.message}`, FAILURES.SlackRefused);
  return retryableFailure(`Slack: ${e.message}`, FAILURES.SlackUnavailable);
}

export interface SlackPost {
  channel: string;
  text: string;
  blocks?: unknown[] | null;
  threadTs?: string | null;
}

export function createSlackProvider(settings: SlackSettings) {
  let client: WebClient | undefined;
  const configured = settings.slackToken !== undefined && settings.slackToken !== '';
  const { slackApiUrl } = settings;

  /** Posts one message to one channel; answers its `ts`. */
  async function post(message: SlackPost): Promise<string | undefined> {
    if (!configured) throw permanentFailure('Slack is not configured: set SLACK_TOKEN', FAILURES.SlackNotConfigured);
    client ??= new WebClient(settings.slackToken, {
      ...(slackApiUrl ? { slackApiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/` } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    try {
      const answer = await client.chat.postMessage({
        channel: message.channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as never } : {}),
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      });
      return answer.ts;
    } catch (error) {
      throw slackFailure(error);
    }
  }

  return {
    configured,
    post,
    /**
     * Sends a checked message to each of its channels. `posted` holds the channels an earlier attempt reached
     * (a 429 on the third of five): only the rest are posted now, and `progress` is told after each one.
     */
    async send(
      message: SlackMessage,
      posted: Record<string, string>,
      progress: (posted: Record<string, string>) => Promise<void>,
    ): Promise<string[]> {
      if (!configured) throw permanentFailure('Slack is not configured: set SLACK_TOKEN', FAILURES.SlackNotConfigured);
      const reached = { ...posted };
      const ts: string[] = [];
      for (const channel of message.channels) {
        const earlier = reached[channel];
        if (earlier) {
          ts.push(earlier);
          continue;
        }
        const answered = await post({
          channel,
          text: message.text,
          blocks: message.blocks,
          threadTs: message.threadTs,
        });
        if (answered) ts.push(answered);
        reached[channel] = answered ?? 'posted';
        if (message.channels.length > 1) await progress(reached);
      }
      return ts;
    },
  };
}

export type SlackProvider = ReturnType<typeof createSlackProvider>;
