export type SnapshotErrorCode = 'SnapshotStoreUnavailable' | 'SnapshotCorrupt' | 'SnapshotMismatch';

export class SnapshotError extends Error {
  constructor(
    readonly code: SnapshotErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SnapshotError';
  }
}

/** The bucket cannot be opened or written. */
export class SnapshotStoreUnavailableError extends SnapshotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SnapshotStoreUnavailable', message, options);
    this.name = 'SnapshotStoreUnavailableError';
  }
}

/** A stored snapshot is incomplete, fails its hash, or does not decompress. */
export class SnapshotCorruptError extends SnapshotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SnapshotCorrupt', message, options);
    this.name = 'SnapshotCorruptError';
  }
}

/** A snapshot that belongs to another log: the event at its seq is not the one it was taken after. */
export class SnapshotMismatchError extends SnapshotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SnapshotMismatch', message, options);
    this.name = 'SnapshotMismatchError';
  }
}
