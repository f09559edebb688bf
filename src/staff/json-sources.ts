import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { StaffCommandError } from './errors.js';
import type { JsonListing, JsonSource } from './types.js';

/** Result files are a few hundred KiB at most; anything far larger is not one. */
const MAX_RESULT_BYTES = 16 * 1024 * 1024;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Result files in a directory: results/<student>/<name>.json as the pipeline and the state store
 * write them, or NAME.result.json as `autograder grade DIR` leaves them beside submissions.
 */
export class DirectoryJsonSource implements JsonSource {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = root;
  }

  async list(): Promise<JsonListing[]> {
    const info = await stat(this.root).catch(() => undefined);
    if (!info?.isDirectory()) throw new StaffCommandError(`${this.root} is not a directory`);
    const listings: JsonListing[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        throw new StaffCommandError(`cannot list ${dir}: ${describe(error)}`, { cause: error });
      }
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        // Hidden files include the object store's temporary files of writes in flight.
        if (entry.name.startsWith('.')) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full, `${prefix}${entry.name}/`);
        else if (entry.isFile() && entry.name.endsWith('.json')) {
          const { mtime } = await stat(full);
          listings.push({ key: `${prefix}${entry.name}`, modifiedAt: mtime });
        }
      }
    };
    await walk(this.root, '');
    return listings;
  }

  async read(key: string): Promise<Uint8Array> {
    const file = path.join(this.root, ...key.split('/'));
    try {
      const { size } = await stat(file);
      if (size > MAX_RESULT_BYTES) {
        throw new StaffCommandError(`${key} is ${size} bytes, too large for a result file`);
      }
      return await readFile(file);
    } catch (error) {
      if (error instanceof StaffCommandError) throw error;
      throw new StaffCommandError(`cannot read ${file}: ${describe(error)}`, { cause: error });
    }
  }
}

/** Result files under a prefix of an S3 bucket (the deployed stack's results/). */
export class S3JsonSource implements JsonSource {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }

  async list(): Promise<JsonListing[]> {
    const listings: JsonListing[] = [];
    let token: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw new StaffCommandError(`cannot list ${this.location}: ${describe(error)}`, {
            cause: error,
          });
        });
      for (const object of page.Contents ?? []) {
        if (!object.Key?.endsWith('.json')) continue;
        listings.push({
          key: object.Key.slice(this.prefix.length),
          modifiedAt: object.LastModified ?? new Date(0),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return listings;
  }

  async read(key: string): Promise<Uint8Array> {
    const fullKey = `${this.prefix}${key}`;
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }),
      );
      if ((response.ContentLength ?? 0) > MAX_RESULT_BYTES) {
        throw new StaffCommandError(
          `${fullKey} is ${response.ContentLength} bytes, too large for a result file`,
        );
      }
      if (!response.Body) throw new StaffCommandError(`s3://${this.bucket}/${fullKey} is empty`);
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof StaffCommandError) throw error;
      throw new StaffCommandError(
        `cannot read s3://${this.bucket}/${fullKey}: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
