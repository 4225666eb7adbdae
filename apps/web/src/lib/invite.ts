// The invite secret lives only in the URL fragment (DESIGN.md §3.3). We read it once at
// start, keep it in memory until the room is joined, and remove it from the address bar
// at once so it does not linger in history, bookmarks or screenshots.

export interface LocationLike {
  href: string;
  hash: string;
  pathname: string;
  search: string;
}

export interface HistoryLike {
  replaceState(data: unknown, unused: string, url?: string): void;
}

/** Returns the invite link if the address has a fragment, and strips the fragment. */
export function takeInviteFromAddress(location: LocationLike, history: HistoryLike): string | null {
  if (location.hash.length <= 1) return null;
  const link = location.href;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return link;
}
