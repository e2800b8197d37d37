/** The one-time link a new console account opens to choose its password (the token is part of the path). */
export function setupUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/admin/setup/${token}`;
}
