import { useState } from 'preact/hooks';

export interface CursorPages {
  /** The cursor the shown page starts after (null: the first page). */
  after: string | null;
  /** 1 for the first page. */
  number: number;
  first(): void;
  previous(): void;
  /** Moves past `endCursor`, the end of the page shown. */
  next(endCursor: string | null): void;
}

/** Forward cursor paging, remembering the cursors of the pages before the one shown. */
export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  return {
    after: cursors.at(-1) ?? null,
    number: cursors.length,
    first: () => setCursors([null]),
    previous: () => setCursors((shown) => (shown.length > 1 ? shown.slice(0, -1) : shown)),
    // A second click while the next page loads carries the same end cursor (the page shown has not
    // changed yet): it must not count as one more page.
    next: (endCursor) => setCursors((shown) => (shown.at(-1) === endCursor ? shown : [...shown, endCursor])),
  };
}

interface Props {
  label: string;
  pages: CursorPages;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
}

/** "Previous page", the page number and "Next page". */
export function Pager({ label, pages, pageInfo }: Props) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={pages.number < 2} onClick={pages.previous}>
        Previous page
      </button>
      <span>Page {pages.number}</span>
      <button type="button" disabled={!pageInfo?.hasNextPage} onClick={() => pages.next(pageInfo?.endCursor ?? null)}>
        Next page
      </button>
    </nav>
  );
}
