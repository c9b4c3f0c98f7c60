import type { AlertKind } from './decide-alerts.js';

/**
 * What happens to an e-mail for an address that has had its cap of e-mails this window
 * (pure). Notices a person must act on — the first alert of a failing run, deactivation,
 * pause — are never dropped: they wait (the record stays uncommitted, as during an SMTP
 * outage) until the window has room. Repeats and information — reminders, recovery and
 * verification notices, confirmation requests — are dropped and counted: the next reminder
 * that fits carries the latest state anyway.
 */
export type OverCapAction = 'defer' | 'drop';

export function overCapAction(kind: AlertKind | 'confirmation'): OverCapAction {
  switch (kind) {
    case 'first_alert':
    case 'deactivation':
    case 'paused':
      return 'defer';
    case 'reminder':
    case 'recovery':
    case 'verification_failed':
    case 'confirmation':
      return 'drop';
  }
}
