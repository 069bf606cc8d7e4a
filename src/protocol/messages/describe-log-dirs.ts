/**
 * DescribeLogDirs (API key 35), versions 1-4. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const describeLogDirsRequest = message(35, 'DescribeLogDirs', 'request', '1-4', '2+', [
  f('topics', '[]DescribableLogDirTopic', '0+', { nullable: '0+' }, [
    f('topic', 'string', '0+', { mapKey: true }),
    f('partitions', '[]int32', '0+'),
  ]),
]);

const describeLogDirsResponse = message(35, 'DescribeLogDirs', 'response', '1-4', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '3+'),
  f('results', '[]DescribeLogDirsResult', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('logDir', 'string', '0+'),
    f('topics', '[]DescribeLogDirsTopic', '0+', {}, [
      f('name', 'string', '0+'),
      f('partitions', '[]DescribeLogDirsPartition', '0+', {}, [
        f('partitionIndex', 'int32', '0+'),
        f('partitionSize', 'int64', '0+'),
        f('offsetLag', 'int64', '0+'),
        f('isFutureKey', 'bool', '0+'),
      ]),
    ]),
    f('totalBytes', 'int64', '4+', { default: -1 }),
    f('usableBytes', 'int64', '4+', { default: -1 }),
  ]),
]);

export interface DescribeLogDirsRequest {
  topics: DescribeLogDirsRequestDescribableLogDirTopic[] | null;
}

export interface DescribeLogDirsRequestDescribableLogDirTopic {
  topic: string;
  partitions: number[];
}

export interface DescribeLogDirsResponse {
  throttleTimeMs: number;
  errorCode: number;
  results: DescribeLogDirsResponseDescribeLogDirsResult[];
}

export interface DescribeLogDirsResponseDescribeLogDirsResult {
  errorCode: number;
  logDir: string;
  topics: DescribeLogDirsResponseDescribeLogDirsTopic[];
  totalBytes: number;
  usableBytes: number;
}

export interface DescribeLogDirsResponseDescribeLogDirsTopic {
  name: string;
  partitions: DescribeLogDirsResponseDescribeLogDirsPartition[];
}

export interface DescribeLogDirsResponseDescribeLogDirsPartition {
  partitionIndex: number;
  partitionSize: number;
  offsetLag: number;
  isFutureKey: boolean;
}

export const DescribeLogDirs = api<DescribeLogDirsRequest, DescribeLogDirsResponse>(describeLogDirsRequest, describeLogDirsResponse);
