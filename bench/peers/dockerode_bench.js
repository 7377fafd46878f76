// dockerode peer of bench/run: same workloads and arguments as berth-bench
// (WORKLOAD N [ARG]); BERTH_BENCH_RATE limits stream consumers (bytes/s).
'use strict';
const Docker = require('dockerode');
const { PassThrough } = require('stream');

const [w, nText, arg] = process.argv.slice(2);
const n = Number(nText);
const rate = Number(process.env.BERTH_BENCH_RATE || 0);
const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
const docker = new Docker({ socketPath: host.replace(/^unix:\/\//, ''), version: 'v1.41' });

function drain(stream) {
  return new Promise((resolve, reject) => {
    let total = 0;
    const start = Date.now();
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    const onData = (chunk) => {
      total += chunk.length;
      if (rate) {
        const due = start + (total / rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) {
          stream.pause();
          setTimeout(() => stream.resume(), wait);
        }
      }
    };
    out.on('data', onData);
    err.on('data', onData);
    stream.on('end', () => resolve(total));
    stream.on('error', reject);
  });
}

async function lifecycleOnce(image) {
  const c = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: { 'berth.bench': '1' },
                                           HostConfig: { NetworkMode: 'none' } });
  await c.start();
  await c.wait();
  await c.remove({ force: true });
}

async function main() {
  const head = ['sh', '-c', `head -c ${n} /dev/zero`];
  if (w === 'ping') {
    for (let i = 0; i < n; i++) await docker.ping();
  } else if (w === 'list') {
    for (let i = 0; i < n; i++) await docker.listContainers({ all: true });
  } else if (w === 'concurrent') {
    let next = 0;
    const worker = async () => { while (next++ < n) await docker.ping(); };
    await Promise.all(Array.from({ length: 64 }, worker));
  } else if (w === 'lifecycle') {
    for (let i = 0; i < n; i++) await lifecycleOnce(arg);
  } else if (w === 'lifecycle8') {
    let next = 0;
    const worker = async () => { while (next++ < n) await lifecycleOnce(arg); };
    await Promise.all(Array.from({ length: 8 }, worker));
  } else if (w === 'exec') {
    const c = docker.getContainer(arg);
    for (let i = 0; i < n; i++) {
      const e = await c.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
      const s = await e.start({});
      await drain(s);
      await e.inspect();
    }
  } else if (w === 'attach') {
    const c = await docker.createContainer({ Image: arg, Cmd: head, AttachStdout: true, AttachStderr: true,
                                             Labels: { 'berth.bench': '1' }, HostConfig: { NetworkMode: 'none' } });
    const s = await c.attach({ stream: true, stdout: true, stderr: true });
    await c.start();
    console.log(await drain(s));
    await c.wait();
    await c.remove({ force: true });
  } else if (w === 'execout') {
    const e = await docker.getContainer(arg).exec({ Cmd: head, AttachStdout: true, AttachStderr: true });
    console.log(await drain(await e.start({})));
  } else if (w === 'logs') {
    const s = await docker.getContainer(arg).logs({ stdout: true, stderr: true, follow: true });
    console.log(await drain(s));
  } else {
    throw new Error('unknown workload ' + w);
  }
}

main().catch((e) => { console.error('dockerode: ' + e.message); process.exit(1); });
