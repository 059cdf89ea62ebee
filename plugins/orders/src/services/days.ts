/** Calendar days as the ledgers keep them: UTC dates (YYYY-MM-DD). */
export function today(): string {
  return dayOf(Date.now());
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
