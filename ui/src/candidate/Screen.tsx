// The common layout of a candidate screen: title block, body, and an action bar at the bottom.

import type { ComponentChildren } from 'preact';
import { useI18n } from '../i18n';
import type { View } from '../types';

export function Screen(props: {
  name: string;
  title: string;
  lead?: string;
  view?: View | null;
  children?: ComponentChildren;
  actions?: ComponentChildren;
  class?: string;
}) {
  const { t } = useI18n();
  const attempt = props.view && props.view.attempt > 1 ? props.view : null;
  return (
    <section class={`screen screen--${props.name} ${props.class ?? ''}`} aria-labelledby="screen-title" data-screen={props.name}>
      <div class="screen__head">
        <h1 id="screen-title" class="screen__title">
          {props.title}
        </h1>
        {props.lead ? <p class="screen__lead">{props.lead}</p> : null}
        {attempt ? (
          <p class="attempt-badge" data-testid="attempt">
            {t('common.attempt', { attempt: attempt.attempt, max: attempt.maxAttempts })}
          </p>
        ) : null}
      </div>
      <div class="screen__body">{props.children}</div>
      {props.actions ? <div class="screen__actions">{props.actions}</div> : null}
    </section>
  );
}

/** The set of commands the candidate screens can start, and which of them are running. */
export interface CandidateActions {
  start(): void;
  giveConsent(): void;
  declineConsent(): void;
  retry(): void;
  /** At the card step: read the card with the camera (`read_card_with`, device "camera"). */
  readCardByCamera(): void;
  /** At the card step: read the card with the chip reader again (`read_card_with`, device "reader"). */
  readCardByReader(): void;
  acceptPledge(answers: { key: string; value: boolean }[]): void;
  declinePledge(): void;
  signatureStroke(points: { x: number; y: number; pressure: number; t: number }[]): void;
  signatureClear(): void;
  /** Resolves true when Rust took the signature (its preview follows as an event). */
  signatureDone(): Promise<boolean>;
  acceptSignature(): void;
  redoSignature(): void;
  finish(): void;
}

export type ActionName = keyof CandidateActions;
export type Busy = ReadonlySet<ActionName>;
