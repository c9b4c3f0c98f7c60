import type { FailureChange } from '../shared/failures/build-failure-event.js';
import type { VerificationResult } from './classify-verification.js';

/**
 * The `webhook.failures` change a verification result calls for (pure): a failed
 * verification becomes `verification_failed` carrying the API's reason code and message
 * (`status: the endpoint answered status 500; expected 2xx`) and the status code; a
 * successful one calls for no event.
 */
export function verificationFailureChange(result: VerificationResult): Extract<FailureChange, { kind: 'verification_failed' }> | null {
  switch (result.kind) {
    case 'verified':
      return null;
    case 'failed':
      return { kind: 'verification_failed', error: `${result.reason}: ${result.message}`, statusCode: result.statusCode };
  }
}
