/** The public page of a credential: what e-mails, LMS comments and share links point to. */
export function credentialPageUrl(publicUrl: string, credentialId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/credentials/${encodeURIComponent(credentialId)}`;
}
