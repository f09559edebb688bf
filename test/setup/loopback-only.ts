// Tests never download from the internet: fetch is refused anything but loopback, so a test
// that forgot to point the data URL at its own server fails instead of fetching CIFAR-10.
const loopbackFetch = globalThis.fetch;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

globalThis.fetch = (input, init) => {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(href);
  // Only network fetches are refused: data: URLs (AssemblyScript loads its wasm helpers so) stay.
  if ((url.protocol === 'http:' || url.protocol === 'https:') && !LOOPBACK.has(url.hostname)) {
    return Promise.reject(
      new TypeError('fetch failed', {
        cause: new Error(`tests stay on loopback; refused ${href}`),
      }),
    );
  }
  return loopbackFetch(input, init);
};
