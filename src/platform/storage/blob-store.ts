/** Where file bytes live. The database holds metadata and the storage key only. */
export interface BlobStore {
  put(key: string, data: Buffer): Promise<void>;
  /** undefined when the blob does not exist (deleted or never written). */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
}
