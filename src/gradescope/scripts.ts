/** The official CIFAR-10 binary archive and its published md5 (as in grader-image/Dockerfile). */
export const CIFAR10_ARCHIVE = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
} as const;

/** Node's official Linux build, checked against nodejs.org's SHASUMS256.txt at install. */
export const NODE_RELEASE = '22.23.5';

/** Where Gradescope unpacks the zip, and the variable that moves it (tests use a temporary root). */
export const GRADESCOPE_ROOT_VARIABLE = 'AUTOGRADER_GRADESCOPE_ROOT';

/**
 * Gradescope runs setup.sh once, as root, when it builds the assignment's image (Ubuntu): it
 * installs Node, the grader's runtime packages and CIFAR-10, so grading needs no network.
 */
export function setupScript(): string {
  return `#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"

apt-get update
apt-get install -y --no-install-recommends ca-certificates curl xz-utils

# Node ${NODE_RELEASE}, the official build, checked against the release's published checksums.
NODE_DIST="node-v${NODE_RELEASE}-linux-x64"
cd /tmp
curl -fsSLO --retry 5 "https://nodejs.org/dist/v${NODE_RELEASE}/$NODE_DIST.tar.xz"
curl -fsSLO --retry 5 "https://nodejs.org/dist/v${NODE_RELEASE}/SHASUMS256.txt"
grep " $NODE_DIST.tar.xz\\$" SHASUMS256.txt | sha256sum -c -
tar -xJf "$NODE_DIST.tar.xz" -C /usr/local --strip-components=1
rm "$NODE_DIST.tar.xz" SHASUMS256.txt

# TensorFlow.js and its wasm engine, at the versions grader/package.json pins.
cd "$SOURCE/grader"
npm install --omit=dev --no-audit --no-fund

# CIFAR-10, the official binary archive, checked before use.
curl -fsSL --retry 5 -o /tmp/cifar-10-binary.tar.gz "${CIFAR10_ARCHIVE.url}"
echo "${CIFAR10_ARCHIVE.md5}  /tmp/cifar-10-binary.tar.gz" | md5sum -c -
mkdir -p "$SOURCE/cifar-10-batches-bin"
tar -xzf /tmp/cifar-10-binary.tar.gz -C "$SOURCE/cifar-10-batches-bin" --strip-components=1
rm /tmp/cifar-10-binary.tar.gz
`;
}

/**
 * Gradescope runs run_autograder for every submission: it grades submission/*.json on the CPU
 * with the wasm engine into results/results.json. ${GRADESCOPE_ROOT_VARIABLE} moves the root
 * (default /autograder) so the script can be tried outside Gradescope.
 */
export function runAutograderScript(): string {
  return `#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -euo pipefail
ROOT="\${${GRADESCOPE_ROOT_VARIABLE}:-/autograder}"
SOURCE="$ROOT/source"
mkdir -p "$ROOT/results"
exec node "$SOURCE/grader/autograder.mjs" \\
  --root "$ROOT" --data "$SOURCE/cifar-10-batches-bin" --backend wasm
`;
}
