// test/helpers/dialogs.ts — a browser tab's confirm questions answered by the test (yes or no each time), with their
// text kept for the test to read.
import type { Page } from 'playwright-core';

/** Answers every dialog of `tab` with `answer()` (true: accept) and keeps its text, in order. */
export function answerDialogs(tab: Page, answer: () => boolean): string[] {
  const questions: string[] = [];
  tab.on('dialog', (dialog) => {
    questions.push(dialog.message());
    void (answer() ? dialog.accept() : dialog.dismiss());
  });
  return questions;
}
