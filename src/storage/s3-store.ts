import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ObjectTooLargeError, StorageError } from './errors.js';
import type { ObjectStore } from './types.js';

export interface S3ClientSettings {
  region?: string;
  /** An S3-compatible server, e.g. http://127.0.0.1:4568 for the loopback server. */
  endpoint?: string;
  /** Path-style URLs (http://host/bucket/key); S3-compatible servers usually need them. */
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** An S3 client for AWS (all settings from the environment) or an S3-compatible endpoint. */
export function createS3Client(settings: S3ClientSettings = {}): S3Client {
  return new S3Client({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
}

export interface S3ObjectStoreOptions {
  bucket: string;
  client?: S3Client;
  /** Retries when S3 answers 409 to a conditional write racing another one. */
  conflictRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function httpStatus(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** An ObjectStore over one S3 bucket. */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly conflictRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client ?? createS3Client();
    this.conflictRetries = options.conflictRetries ?? 3;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async get(
    key: string,
    options: { maxBytes?: number; versionId?: string } = {},
  ): Promise<Uint8Array | undefined> {
    const { maxBytes, versionId } = options;
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
    } catch (error) {
      if (httpStatus(error) === 404) return undefined;
      throw new StorageError(`cannot read s3://${this.bucket}/${key}: ${describe(error)}`, {
        cause: error,
      });
    }
    const body = response.Body as
      | (AsyncIterable<Uint8Array> & { destroy?: () => void })
      | undefined;
    if (body === undefined) return new Uint8Array(0);
    if (maxBytes !== undefined && (response.ContentLength ?? 0) > maxBytes) {
      body.destroy?.();
      throw new ObjectTooLargeError(key, maxBytes, response.ContentLength);
    }
    // The declared length is checked above; counting while reading also guards a server that lies.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (maxBytes !== undefined && total > maxBytes) {
        body.destroy?.();
        throw new ObjectTooLargeError(key, maxBytes);
      }
      chunks.push(chunk);
    }
    return concat(chunks, total);
  }

  async put(
    key: string,
    body: Uint8Array | string,
    options: { contentType?: string; ifNoneMatch?: boolean } = {},
  ): Promise<boolean> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(command);
        return true;
      } catch (error) {
        const status = httpStatus(error);
        // 412: an object exists. 409: another conditional write to the key is in flight;
        // S3 asks the caller to retry, and the retry then sees 412 or succeeds.
        if (options.ifNoneMatch && status === 412) return false;
        if (options.ifNoneMatch && status === 409 && attempt < this.conflictRetries) {
          await this.sleep(50 * 2 ** attempt);
          continue;
        }
        throw new StorageError(`cannot write s3://${this.bucket}/${key}: ${describe(error)}`, {
          cause: error,
        });
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw new StorageError(`cannot list s3://${this.bucket}/${prefix}: ${describe(error)}`, {
          cause: error,
        });
      }
      for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw new StorageError(`cannot delete s3://${this.bucket}/${key}: ${describe(error)}`, {
        cause: error,
      });
    }
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
