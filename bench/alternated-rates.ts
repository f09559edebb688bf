/** What the throughput benches share: PyTorch's answer for one network, and the median they report. */

/** What torch_throughput.py and torch_student_networks.py print for one network, as JSON. */
export interface TorchResult {
  torch: string;
  threads: number;
  params: number;
  images_per_second: number[];
  median: number;
}

/** The middle value, or the mean of the two middle values of an even count. */
export function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
