import { spawnSync } from 'node:child_process';
import path from 'node:path';

// lowerCpuPriority changes the calling thread's nice value for good, so it runs in a child process
// (not in the jest worker). Linux semantics: the nice value is per thread and inherited by threads
// started afterwards.
const describeOnLinux = process.platform === 'linux' ? describe : describe.skip;

describeOnLinux('lowerCpuPriority', () => {
  it('lowers the calling thread, never raises it, and is inherited by threads started later', () => {
    const modulePath = path.join(__dirname, '../../../src/platform/cpu-priority.ts');
    const script = `
      const { Worker } = require('node:worker_threads');
      const { getPriority } = require('node:os');
      const { lowerCpuPriority } = require(${JSON.stringify(modulePath)});
      const lowered = lowerCpuPriority(3);
      const notRaised = lowerCpuPriority(1);
      const thread = new Worker(
        "const { parentPort } = require('node:worker_threads'); const os = require('node:os');" +
        "const inherited = os.getPriority(0); os.setPriority(0, 7);" +
        "parentPort.postMessage({ inherited, own: os.getPriority(0) });",
        { eval: true },
      );
      thread.once('message', (fromThread) => {
        console.log(JSON.stringify({ lowered, notRaised, fromThread, mainAfterThread: getPriority(0) }));
        void thread.terminate();
      });`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });

    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({
      lowered: 3,
      notRaised: 3,
      fromThread: { inherited: 3, own: 7 },
      // The thread's own change stayed in the thread.
      mainAfterThread: 3,
    });
  });
});
