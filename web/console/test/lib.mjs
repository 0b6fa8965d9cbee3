// What the web console's tests share: starting a lucid program with its
// console on a free loopback port, and finding a browser.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';

export function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (the test is run by ctest, which sets it)`);
  return v;
}

/**
 * Starts `program args` with LUCID_CONSOLE=127.0.0.1:0; resolves when the
 * console serves. The result's `ended()` says how the program ended (null
 * while it runs), and `explain(body)` runs `body`, adding the program's end
 * and output to any error it throws: a program that dies under a test (a
 * sanitizer's report, a crash) is then named in the failure.
 */
export function startProgram(program, args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, LUCID_CONSOLE: '127.0.0.1:0', LUCID_BACKTRACE: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let ended = null;
    const closed = new Promise((r) => child.on('close', r));
    let served = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program}: no "lucid console: serving on" line in 30 s:\n${out}`));
    }, 30000);
    const onData = (d) => {
      out += d;
      const m = /lucid console: serving on http:\/\/(\S+)/.exec(out);
      if (m && !served) {
        served = true;
        clearTimeout(timer);
        const prog = {
          child,
          addr: m[1],
          url: `http://${m[1]}`,
          output: () => out,
          ended: () => ended,
          stop: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          },
          explain: async (body) => {
            try {
              return await body();
            } catch (e) {
              // A program that died may still be writing its report.
              await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
              const state = ended ? `ended (${ended})` : 'still runs';
              e.message += `\n--- ${program} ${args.join(' ')} ${state}; its output:\n${out}`;
              throw e;
            }
          },
        };
        resolve(prog);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      ended = signal ? `killed by ${signal}` : `exit code ${code}`;
      clearTimeout(timer);
      if (!/serving on/.test(out)) reject(new Error(`${program} exited (${code}) before serving:\n${out}`));
    });
  });
}

/** The browser to drive: $LUCID_BROWSER, or Debian's chromium; null when none is installed. */
export function findBrowser() {
  const candidates = [process.env.LUCID_BROWSER, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

export function artifactsDir() {
  const dir = process.env.LUCID_WEB_ARTIFACTS ?? 'test-artifacts';
  mkdirSync(dir, { recursive: true });
  return dir;
}
