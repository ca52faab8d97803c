/** A y/N question on the terminal (or on piped stdin, so `yes | graphflow publish …` works); anything but y is no. */
import { createInterface } from 'node:readline';

export type Confirm = (question: string) => Promise<boolean>;

export const confirmOnStdin: Confirm = (question) =>
  new Promise((resolve) => {
    const rl = createInterface({
      input: process.stdin,
      output: process.stderr,
      terminal: process.stdin.isTTY === true,
    });
    let answered = false;
    rl.on('close', () => {
      // No answer at all (stdin closed, or not a terminal and empty) is a no.
      if (!answered) process.stderr.write('\n');
      resolve(answered);
    });
    rl.question(`${question} [y/N] `, (answer) => {
      answered = /^\s*y(es)?\s*$/i.test(answer);
      rl.close();
    });
  });
