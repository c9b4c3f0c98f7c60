/**
 * How the API shows a secret: never whole. Signing secrets keep their `whsec_` prefix
 * and last 4 characters so an owner can tell which one is current; other secrets show
 * only that they are set.
 */
export function maskSecret(field: string, secret: string): string {
  if (field.startsWith('signing.') && secret.startsWith('whsec_') && secret.length > 20) return `****whsec_…${secret.slice(-4)}`;
  return '********';
}
