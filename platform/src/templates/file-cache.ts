import fs from 'node:fs';

/** Derives a value from a file once per version of the file (path + mtime + size), so admins' edits show up without a restart. */
export function createFileCache<T>(build: (source: string, file: string) => T) {
  const entries = new Map<string, { stamp: string; value: T }>();
  return {
    get(file: string): T {
      const stats = fs.statSync(file);
      const stamp = `${stats.mtimeMs}:${stats.size}`;
      const hit = entries.get(file);
      if (hit && hit.stamp === stamp) return hit.value;
      const value = build(fs.readFileSync(file, 'utf8'), file);
      entries.set(file, { stamp, value });
      return value;
    },
    clear(): void {
      entries.clear();
    },
  };
}
