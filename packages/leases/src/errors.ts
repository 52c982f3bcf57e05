/** The lease bucket cannot be reached or set up (no JetStream, no connection, no permission). */
export class LeaseStoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LeaseStoreUnavailableError';
  }
}

/** A lease in the bucket (or one about to be written) is not a valid NodeLease. */
export class InvalidLeaseError extends Error {
  constructor(
    readonly key: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'InvalidLeaseError';
  }
}
