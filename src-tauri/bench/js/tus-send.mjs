// The reference side of "time to Published" (issue 16, docs/BENCHMARKS.md):
// what a web client built on tus-js-client does to send one file through
// Altinn Broker, timed from the moment Send is pressed to Published.
//
//   initialize (POST /filetransfer) → tus-js-client upload with its usual
//   settings for Broker (8 MiB chunks, 4 parallel parts joined by TUS
//   concatenation, as in Altinn/altinn-broker tests/tus/Altinn.Broker.Tests.TusJsClient)
//   → the overview polled every 50 ms until Published.
//
// The bench driver gives the token and the file; node's own start-up is not
// timed. Prints one JSON line: {"totalMs", "uploadMs", "publishWaitMs", "polls"}.
//
//   BASE=http://127.0.0.1:PORT TOKEN_FILE=… FILE=… SENDER=0192:… RECIPIENT=0192:… RESOURCE=…
//   [CHUNK_MIB=8] [PARALLEL=4] [POLL_MS=50] node tus-send.mjs
import { createReadStream, readFileSync } from 'node:fs';
import { Upload } from 'tus-js-client';

const env = (k, d) => process.env[k] ?? d;
const base = env('BASE').replace(/\/$/, '');
const token = readFileSync(env('TOKEN_FILE'), 'utf8').trim();
const file = env('FILE');
const chunkSize = Number(env('CHUNK_MIB', '8')) * 1024 * 1024;
const parallelUploads = Number(env('PARALLEL', '4'));
const pollMs = Number(env('POLL_MS', '50'));
const auth = { Authorization: `Bearer ${token}` };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const t0 = performance.now();
const init = await fetch(`${base}/broker/api/v1/filetransfer`, {
  method: 'POST',
  headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json' },
  body: JSON.stringify({
    resourceId: env('RESOURCE'),
    fileName: file.split('/').pop(),
    sender: env('SENDER'),
    recipients: [env('RECIPIENT')],
    sendersFileTransferReference: `bench-tus-js-${Date.now()}-${Math.random()}`,
    propertyList: {},
  }),
});
if (!init.ok) throw new Error(`initialize: ${init.status} ${await init.text()}`);
const { fileTransferId } = await init.json();

await new Promise((resolve, reject) => {
  const upload = new Upload(createReadStream(file), {
    endpoint: `${base}/broker/api/v1/filetransfer/upload/tus/${fileTransferId}`,
    chunkSize,
    parallelUploads,
    retryDelays: [1000, 2000, 4000, 8000, 16000],
    headers: auth,
    metadata: { filename: file.split('/').pop(), filetype: 'application/octet-stream' },
    onError: reject,
    onSuccess: resolve,
  });
  upload.start();
});
const t1 = performance.now();

let polls = 0;
for (;;) {
  polls++;
  const r = await fetch(`${base}/broker/api/v1/filetransfer/${fileTransferId}`, { headers: { ...auth, Accept: 'application/json' } });
  if (!r.ok) throw new Error(`overview: ${r.status} ${await r.text()}`);
  const o = await r.json();
  if (o.fileTransferStatus === 'Published') break;
  if (o.fileTransferStatus === 'Failed') throw new Error(`failed: ${o.fileTransferStatusText}`);
  await sleep(pollMs);
}
const t2 = performance.now();
console.log(JSON.stringify({ fileTransferId, totalMs: t2 - t0, uploadMs: t1 - t0, publishWaitMs: t2 - t1, polls }));
