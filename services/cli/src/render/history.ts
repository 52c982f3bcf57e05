// `flotilla history`: one row per event of the object, oldest first, with its sequence, time, writer
// and a one-line summary. A name that belonged to several objects gets a UID column to tell them apart.
import type { ObjectHistory } from '@flotilla/client';
import { formatTable } from './tabwriter.ts';

/** The first block of a uid, as short as git's abbreviated hashes and still telling incarnations apart. */
export function shortUid(uid: string | undefined): string {
  if (uid === undefined || uid === '') return '<none>';
  return uid.split('-')[0] ?? uid;
}

export function historyTable(history: ObjectHistory): string {
  const marked = history.uids.length > 1;
  const header = ['SEQ', 'TIME', ...(marked ? ['UID'] : []), 'TYPE', 'SOURCE', 'SUMMARY'];
  const rows = history.items.map((item) => [String(item.seq), item.time, ...(marked ? [shortUid(item.uid)] : []), item.type, item.source, item.summary]);
  return formatTable(header, rows);
}
