// Names of topics, groups and files. A topic name becomes a folder name, so it is
// restricted to characters that are safe on every file system; a group name lives only
// inside the topic's metadata file, so any non-empty string of bounded length will do.
import { ElanusError } from '../errors/index.js';
import { joinPath } from '../storage/index.js';

export const topicNameBytesMax = 128;
export const groupNameBytesMax = 255;

const topicNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function isTopicName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= topicNameBytesMax && topicNamePattern.test(name);
}

export function checkTopicName(name: string): void {
  if (!isTopicName(name)) {
    throw new ElanusError('INVALID_NAME', {
      what: 'log topic',
      name: String(name),
      reason: `use 1 to ${topicNameBytesMax} letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
    });
  }
}

export function checkGroupName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > groupNameBytesMax) {
    throw new ElanusError('INVALID_NAME', {
      what: 'consumer group',
      name: String(name),
      reason: `use 1 to ${groupNameBytesMax} bytes`,
    });
  }
}

/** Folder that holds one folder per topic; the lock file sits next to it. */
export function topicsDir(walDir: string): string {
  return joinPath(walDir, 'topics');
}

export const metaFileName = 'meta';

/** WalLogStore's notes beside topics/ (log-store.ts): per topic, where headerless records end. */
export const headerlessFileName = 'headerless';

const segmentDigits = 20;
const segmentSuffix = '.log';

/** Segment files are named by the offset of their first record, zero-padded so that names sort in offset order. */
export function segmentFileName(base: number): string {
  return `${String(base).padStart(segmentDigits, '0')}${segmentSuffix}`;
}

export function parseSegmentFileName(name: string): number | undefined {
  if (name.length !== segmentDigits + segmentSuffix.length || !name.endsWith(segmentSuffix)) return undefined;
  const digits = name.slice(0, segmentDigits);
  if (!/^[0-9]+$/.test(digits)) return undefined;
  const base = Number(digits);
  return Number.isSafeInteger(base) ? base : undefined;
}
