/** P3D, PT12H, P1DT6H: the ISO 8601 durations BPMN timers use, in milliseconds. */
export function durationMs(iso: string): number {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!match || iso === 'P' || iso.endsWith('T')) throw new Error(`not an ISO 8601 duration of days, hours, minutes and seconds: ${iso}`);
  const [, d, h, m, s] = match.map((v) => Number(v ?? 0));
  return (((d! * 24 + h!) * 60 + m!) * 60 + s!) * 1000;
}

/** Whether `iso` is a positive duration `durationMs` reads. */
export function isPositiveDuration(iso: string): boolean {
  try {
    return durationMs(iso) > 0;
  } catch {
    return false;
  }
}
