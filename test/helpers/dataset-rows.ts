// test/helpers/dataset-rows.ts — locators of the web app's Dataset page rows for browser tests: a crop's row by
// its file name, and that row's Exclude / Re-include button.
import type { Page } from 'playwright-core';

/** The Dataset page row of the crop `file` (e.g. `a.png`). */
export const datasetRow = (page: Page, file: string) =>
  page.locator('[data-testid=dataset-item]', { hasText: file });

/** The Exclude (or, once excluded, Re-include) button of `file`'s row. */
export const excludeButton = (page: Page, file: string) =>
  datasetRow(page, file).getByRole('button', {
    name: new RegExp(`^(Exclude|Re-include) ${file.replace('.', '\\.')}`),
  });
