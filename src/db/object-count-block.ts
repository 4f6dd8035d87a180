/**
 * Object counts are kept per block of this many consecutive ids (`id_block = id / OBJECT_COUNT_BLOCK`),
 * so an offset page can skip whole blocks by their counts instead of walking the index past every row.
 */
export const OBJECT_COUNT_BLOCK = 16384;
