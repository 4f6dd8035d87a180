/** `sync_objects.checksum_algorithms`: the listing's checksum algorithms, comma-separated, null for none. */
export function algorithmsColumn(algorithms: readonly string[]): string | null {
  return algorithms.length > 0 ? algorithms.join(',') : null;
}

/** The checksum algorithms stored on a row. */
export function algorithmsOf(column: unknown): string[] {
  return typeof column === 'string' && column !== '' ? column.split(',') : [];
}
