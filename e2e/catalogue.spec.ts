import { expect, test } from '@playwright/test';
import { LAB_ID } from './helpers';

test('the catalogue lists the seed lab with its step count and opens it', async ({ page, request }) => {
  const labs = (await (await request.get('/api/labs')).json()) as Array<{ id: string; steps: number }>;
  const seed = labs.find((l) => l.id === LAB_ID);
  expect(seed).toBeTruthy();

  await page.goto('/');
  const card = page.getByTestId(`lab-${LAB_ID}`);
  await expect(card).toContainText('Kubernetes meets Rust');
  await expect(card).toContainText(`${seed!.steps} steps`);
  await card.click();
  await expect(page).toHaveURL(new RegExp(`/labs/${LAB_ID}`));
  await expect(page.getByTestId('step-count')).toHaveText(`Step 1 of ${seed!.steps}`);
});

test('an unknown lab says so and links back to the catalogue', async ({ page }) => {
  await page.goto('/labs/no-such-lab');
  await expect(page.getByRole('heading', { name: 'No such lab' })).toBeVisible();
  await page.getByRole('link', { name: /All labs/ }).click();
  await expect(page.getByTestId('lab-list')).toBeVisible();
});
