// Test harness: render Preact trees into the DOM, load the contract fixtures, mock the IPC.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComponentChildren } from 'preact';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { vi } from 'vitest';
import { I18nProvider } from '../src/i18n';
import type { ActionName, CandidateActions } from '../src/candidate/Screen';
import type { Locale } from '../src/types';

export const UI_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(UI_ROOT, '..');

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(resolve(UI_ROOT, 'fixtures', name), 'utf8')) as T;
}

let container: HTMLElement | null = null;

export function mount(node: ComponentChildren, locale: Locale = 'zh-CN'): HTMLElement {
  unmount();
  container = document.createElement('div');
  document.body.appendChild(container);
  const target = container;
  act(() => {
    render(<I18nProvider locale={locale}>{node}</I18nProvider>, target);
  });
  return target;
}

export function unmount(): void {
  if (container) {
    const target = container;
    act(() => render(null, target));
    target.remove();
    container = null;
  }
}

export function $(selector: string, root: ParentNode = document): HTMLElement {
  const element = root.querySelector<HTMLElement>(selector);
  if (!element) throw new Error(`no element matches ${selector}\n${document.body.innerHTML.slice(0, 2000)}`);
  return element;
}

export function $$(selector: string, root: ParentNode = document): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(selector)];
}

export function click(target: string | Element): void {
  const element = typeof target === 'string' ? $(target) : target;
  act(() => {
    (element as HTMLElement).click();
  });
}

export function text(root: ParentNode = document.body): string {
  return (root as HTMLElement).textContent ?? '';
}

/** Lets pending promises and Preact's scheduled renders run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}\n${document.body.innerHTML.slice(0, 3000)}`);
    await flush(1);
  }
}

export function fakeActions(): CandidateActions & { calls: { name: ActionName; args: unknown[] }[] } {
  const calls: { name: ActionName; args: unknown[] }[] = [];
  const record =
    (name: ActionName) =>
    (...args: unknown[]) => {
      calls.push({ name, args });
    };
  return {
    calls,
    start: record('start'),
    giveConsent: record('giveConsent'),
    declineConsent: record('declineConsent'),
    retry: record('retry'),
    readCardByCamera: record('readCardByCamera'),
    readCardByReader: record('readCardByReader'),
    acceptPledge: record('acceptPledge'),
    declinePledge: record('declinePledge'),
    signatureStroke: record('signatureStroke'),
    signatureClear: record('signatureClear'),
    signatureDone: vi.fn(async () => {
      calls.push({ name: 'signatureDone', args: [] });
      return true;
    }),
    acceptSignature: record('acceptSignature'),
    redoSignature: record('redoSignature'),
    finish: record('finish'),
  };
}

export type IpcCall = { cmd: string; args: Record<string, unknown> | undefined };

/** Mocks the IPC with a handler per command; unknown commands reject like Tauri does. */
export function mockCommands(handlers: Record<string, (args: Record<string, unknown> | undefined) => unknown>): IpcCall[] {
  const calls: IpcCall[] = [];
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: args as Record<string, unknown> | undefined });
      const handler = handlers[cmd];
      if (!handler) return Promise.reject(`command ${cmd} not found`);
      return handler(args as Record<string, unknown> | undefined);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

export { clearMocks };
