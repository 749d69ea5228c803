/** The store of `--out`: an `s3://bucket/prefix`, or a local (or shared) folder. */
import path from 'node:path';
import { isS3Uri, s3Location, S3Storage } from './s3-storage.js';
import { LocalStorage, type Storage } from './storage.js';

/** The store `uri` names (a local folder is not created: see {@link openStorage}). */
export function storageAt(uri: string): Storage {
  return isS3Uri(uri) ? new S3Storage(uri) : new LocalStorage(uri);
}

/** Opens the store `uri` names, creating a local folder when it is missing. */
export async function openStorage(uri: string): Promise<Storage> {
  const storage = storageAt(uri);
  if (storage instanceof LocalStorage) await storage.open();
  return storage;
}

/** The canonical location of `uri` (what names a batch), without opening it. */
export function storageLocation(uri: string): string {
  return isS3Uri(uri) ? s3Location(uri) : path.resolve(uri);
}
