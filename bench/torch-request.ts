import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The PyTorch side of a bench reads its request from a JSON file: this writes it to a temporary
 * folder, hands its path to `use`, and removes the folder afterwards, whatever `use` does.
 */
export async function withTorchRequest<T>(
  request: unknown,
  use: (file: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'torch-request-'));
  try {
    const file = path.join(dir, 'request.json');
    await writeFile(file, JSON.stringify(request));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
