/** The Node major this package supports and tests (package.json "engines": >=22 <23). */
export const SUPPORTED_NODE_MAJOR = 22;

/**
 * One line for a Node the package does not support, or undefined on Node 22. Older majors still
 * run the CLI; newer ones run it too, but tfjs-node's binding does not load there.
 */
export function runtimeNotice(nodeVersion: string): string | undefined {
  const major = Number(nodeVersion.split('.')[0]);
  if (major === SUPPORTED_NODE_MAJOR) return undefined;
  return major < SUPPORTED_NODE_MAJOR
    ? `autograder: Node ${nodeVersion} is older than the supported Node ${SUPPORTED_NODE_MAJOR}; commands still run, but upgrade (the AWS SDK drops Node 20 in January 2027)`
    : `autograder: Node ${nodeVersion} is newer than the supported Node ${SUPPORTED_NODE_MAJOR}; the wasm engine runs, tfjs-node and tfjs-node-gpu do not load`;
}
