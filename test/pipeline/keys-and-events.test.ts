import type { S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EventShapeError, submissionSource, submissionsInEvent } from '../../src/pipeline/index.js';

function s3Event(records: { eventName: string; key: string; versionId?: string }[]): S3Event {
  return {
    Records: records.map(({ eventName, key, versionId }) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2026-11-26T12:00:00.000Z',
      eventName,
      userIdentity: { principalId: 'AWS:X' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'R', 'x-amz-id-2': 'I' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'c',
        bucket: { name: 'subs', ownerIdentity: { principalId: 'P' }, arn: 'arn:aws:s3:::subs' },
        object: {
          key,
          size: 10,
          eTag: 'e',
          sequencer: '0A1B',
          ...(versionId ? { versionId } : {}),
        },
      },
    })),
  };
}

describe('submissionsInEvent', () => {
  it('decodes keys the way S3 encodes them in events', () => {
    // Prepare
    const event = s3Event([
      {
        eventName: 'ObjectCreated:Put',
        key: 'submissions/ana+maria/my+net%C3%A9.json',
        versionId: 'v1',
      },
    ]);
    // Act
    const refs = submissionsInEvent(event);
    // Assess
    expect(refs).toEqual([
      {
        bucket: 'subs',
        key: 'submissions/ana maria/my neté.json',
        versionId: 'v1',
        sequencer: '0A1B',
        eTag: 'e',
        size: 10,
      },
    ]);
  });

  it('skips removals and keeps every created object', () => {
    // Prepare
    const event = s3Event([
      { eventName: 'ObjectRemoved:Delete', key: 'submissions/a/x.json' },
      { eventName: 'ObjectCreated:CompleteMultipartUpload', key: 'submissions/a/y.json' },
    ]);
    // Act
    const keys = submissionsInEvent(event).map((ref) => ref.key);
    // Assess
    expect(keys).toEqual(['submissions/a/y.json']);
  });

  it.each([
    { description: 'an event without Records', event: {} as S3Event, message: /no Records/ },
    {
      description: 'a malformed percent-escape',
      event: s3Event([{ eventName: 'ObjectCreated:Put', key: 'submissions/a/%E0.json' }]),
      message: /not URL-encoded/,
    },
  ])('refuses $description with a message that says so', ({ event, message }) => {
    // Act
    const parse = () => submissionsInEvent(event);
    // Assess
    expect(parse).toThrow(EventShapeError);
    expect(parse).toThrow(message);
  });
});

describe('object keys', () => {
  it('names a versioned submission with its version in results', () => {
    // Act
    const source = submissionSource({
      bucket: 'subs',
      key: 'submissions/a/n.json',
      versionId: 'x/y',
    });
    // Assess
    expect(source).toBe('s3://subs/submissions/a/n.json?versionId=x%2Fy');
  });
});
