import { readFile } from 'node:fs/promises';
import type { Layer } from '../src/spec/types.js';

/** The course's four networks, as the rubric's own files describe them. */
export const COURSE_NETWORKS = [
  { name: 'MLP', file: 'rubric/baseline-mlp.json' },
  { name: 'ConvNet', file: 'rubric/examples/convnet.json' },
  { name: 'ConvNetSmall', file: 'rubric/examples/convnet-small.json' },
  { name: 'ConvNetTiny', file: 'rubric/examples/convnet-tiny.json' },
] as const;

export type CourseNetworkName = (typeof COURSE_NETWORKS)[number]['name'];

/** The layers of a course network: the first experiment of its submission file. */
export async function courseNetworkLayers(file: string): Promise<Layer[]> {
  const text = await readFile(new URL(`../${file}`, import.meta.url), 'utf8');
  const submission = JSON.parse(text) as { experiments: { layers: Layer[] }[] };
  const layers = submission.experiments[0]?.layers;
  if (layers === undefined) throw new Error(`${file} has no experiment`);
  return layers;
}
