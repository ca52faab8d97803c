/** A notification's config, checked as rendered against its schema (integrations/notification.ts). */
import { type NotificationConfig, notificationConfig } from '../../integrations/notification';
import { asText, asTextList, type Checked, checkConfig } from './checked';

export type { NotificationConfig } from '../../integrations/notification';
export type CheckedNotification = Checked<NotificationConfig>;

export function checkNotification(raw: Record<string, unknown>): CheckedNotification {
  return checkConfig('notification', notificationConfig, {
    ...raw,
    recipients: asTextList(raw.recipients),
    subject: asText(raw.subject),
    message: asText(raw.message),
  });
}
