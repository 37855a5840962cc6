// The async-iterator shell the query and search iterators share: pages until `total`
// rows or an empty page; `release` runs once, at the end, on close() or return(), or
// when a page fails (the error is rethrown).
export type Rows = Array<Record<string, unknown>>;

export interface PagedIterator extends AsyncIterableIterator<Rows> {
  close(): void;
}

/** `fetch(remaining)` returns the next page, at most `remaining` rows. */
export function pagedIterator(total: number, fetch: (remaining: number) => Promise<Rows>, release: () => void): PagedIterator {
  let returned = 0;
  let finished = false;
  const end = () => {
    if (finished) return;
    finished = true;
    release();
  };
  const done = (): IteratorResult<Rows> => ({ done: true, value: undefined });
  const it: PagedIterator = {
    close: end,
    async next(): Promise<IteratorResult<Rows>> {
      if (finished || returned >= total) {
        end();
        return done();
      }
      try {
        const rows = await fetch(total - returned);
        if (rows.length === 0) {
          end();
          return done();
        }
        returned += rows.length;
        return { done: false, value: rows };
      } catch (e) {
        end();
        throw e;
      }
    },
    async return(): Promise<IteratorResult<Rows>> {
      end();
      return done();
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
