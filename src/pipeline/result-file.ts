import type { ResultFile } from '../rubric/index.js';
import type { ObjectStore } from '../storage/index.js';

/** Stores a result file the one way the pipeline writes them: indented JSON and a final newline. */
export async function putResultFile(
  store: ObjectStore,
  key: string,
  result: ResultFile,
): Promise<void> {
  await store.put(key, `${JSON.stringify(result, null, 2)}\n`, { contentType: 'application/json' });
}
