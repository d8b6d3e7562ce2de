import { useRef } from 'preact/hooks';
import { Button, ReasonNotice } from '../components';
import { useI18n } from '../i18n';
import type { CardSide, DeviceStatusEvent, View } from '../types';
import { CardPreview } from './Camera';
import { captureKey, cardHintTone, useCardCapture, type CardCapture } from './cardCapture';
import { Screen, type Busy, type CandidateActions } from './Screen';

/** A card sliding down onto a reader; pure SVG + CSS animation. */
export function CardReaderIllustration(props: { label: string }) {
  return (
    <svg class="reader-art" viewBox="0 0 360 260" role="img" aria-label={props.label}>
      <defs>
        <linearGradient id="card-face" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stop-color="#e8f0fb" />
          <stop offset="1" stop-color="#c7daf5" />
        </linearGradient>
      </defs>
      <g class="reader-art__waves" fill="none" stroke="#0f4c9c" stroke-width="4" stroke-linecap="round">
        <path d="M150 196c10-10 50-10 60 0" />
        <path d="M136 184c18-18 70-18 88 0" />
      </g>
      <rect x="70" y="180" width="220" height="66" rx="16" fill="#23354f" />
      <rect x="96" y="192" width="168" height="26" rx="8" fill="#3b5275" />
      <circle cx="268" cy="232" r="5" fill="#3ddc84" class="reader-art__led" />
      <g class="reader-art__card">
        <rect x="95" y="40" width="170" height="108" rx="12" fill="url(#card-face)" stroke="#0f4c9c" stroke-width="3" />
        <rect x="112" y="60" width="44" height="56" rx="6" fill="#9db8dd" />
        <circle cx="134" cy="80" r="10" fill="#f4f7fb" />
        <path d="M118 112c2-12 30-12 32 0" fill="#f4f7fb" />
        <rect x="170" y="64" width="78" height="8" rx="4" fill="#6f8fbf" />
        <rect x="170" y="82" width="62" height="8" rx="4" fill="#6f8fbf" />
        <rect x="170" y="100" width="70" height="8" rx="4" fill="#6f8fbf" />
        <rect x="112" y="126" width="136" height="8" rx="4" fill="#6f8fbf" />
      </g>
    </svg>
  );
}

/** One side of an ID card: the photo side (photo on the right) or the emblem side; pure SVG. */
export function CardSideIllustration(props: { side: CardSide; label: string }) {
  return (
    <svg class={`card-side card-side--${props.side}`} viewBox="0 0 172 110" role="img" aria-label={props.label} data-side={props.side}>
      <rect x="3" y="3" width="166" height="104" rx="8" fill="#e8f0fb" stroke="#0f4c9c" stroke-width="3" />
      {props.side === 'front' ? (
        <g>
          <rect x="18" y="20" width="70" height="7" rx="3.5" fill="#6f8fbf" />
          <rect x="18" y="36" width="52" height="7" rx="3.5" fill="#6f8fbf" />
          <rect x="18" y="52" width="62" height="7" rx="3.5" fill="#6f8fbf" />
          <rect x="18" y="86" width="110" height="8" rx="4" fill="#0f4c9c" />
          <rect x="112" y="16" width="44" height="58" rx="5" fill="#9db8dd" />
          <circle cx="134" cy="38" r="10" fill="#f4f7fb" />
          <path d="M119 70c2-13 28-13 30 0" fill="#f4f7fb" />
        </g>
      ) : (
        <g>
          <circle cx="36" cy="36" r="20" fill="#c8102e" />
          <path d="M36 22l4 11h11l-9 7 3 11-9-7-9 7 3-11-9-7h11z" fill="#ffd700" />
          <rect x="66" y="24" width="88" height="9" rx="4.5" fill="#0f4c9c" />
          <rect x="66" y="42" width="70" height="7" rx="3.5" fill="#6f8fbf" />
          <rect x="18" y="70" width="120" height="7" rx="3.5" fill="#6f8fbf" />
          <rect x="18" y="86" width="100" height="7" rx="3.5" fill="#6f8fbf" />
        </g>
      )}
    </svg>
  );
}

/**
 * The card step with the camera (`cardDevice: "camera"`): which side to show, the live preview
 * (not mirrored) with the card-shaped frame, and what to do now. `live` false: the last read failed
 * and nothing runs — the reason, "try again" (the camera again) and "use the card reader".
 */
function CardCamera(props: { view: View; capture: CardCapture; live: boolean; actions: CandidateActions; busy: Busy }) {
  const { t, tOr } = useI18n();
  const { view, capture, live } = props;
  const side = capture.side;
  const event = capture.capture;
  let hint: { text: string; tone: 'ok' | 'outside' | 'none'; code: string } | null = null;
  if (live && event) {
    hint = { text: tOr(`cardCamera.hint.${event.side}.${event.hint}`, event.message), tone: cardHintTone(event.hint), code: event.hint };
  } else if (live && capture.active) {
    hint = { text: t(`cardCamera.hint.${side}.no_card`), tone: 'none', code: 'no_card' };
  }
  const sideName = t(`cardCamera.side.${side}`);
  return (
    <Screen
      name="card-camera"
      title={t('cardCamera.title')}
      lead={t('cardCamera.lead')}
      view={view}
      class="screen--split"
      actions={
        live ? undefined : (
          <>
            <Button variant="secondary" id="use-reader" busy={props.busy.has('readCardByReader')} onClick={props.actions.readCardByReader}>
              {t('idCard.useReader')}
            </Button>
            <Button id="retry" busy={props.busy.has('retry')} onClick={props.actions.retry}>
              {t('common.retry')}
            </Button>
          </>
        )
      }
    >
      <div class="card-panel" data-testid="card-capture" data-side={live ? side : undefined} data-live={live ? 'true' : 'false'}>
        {live ? (
          <>
            <div class="card-panel__wanted">
              <p class="card-panel__label">{t('cardCamera.wanted')}</p>
              <p class="card-panel__side" id="card-side">
                {sideName}
              </p>
              <p class="card-panel__step">{t('cardCamera.step', { n: side === 'front' ? 1 : 2 })}</p>
            </div>
            <CardSideIllustration side={side} label={sideName} />
            {capture.active ? null : (
              <p class="status-line" role="status">
                <span class="spinner spinner--inline" aria-hidden="true" />
                {t('cardCamera.starting')}
              </p>
            )}
            <p class="card-panel__note">{t('cardCamera.staffCheck')}</p>
          </>
        ) : view.lastReason ? (
          <ReasonNotice reason={view.lastReason} title={t('idCard.cameraFailedTitle')} id="last-reason" />
        ) : null}
      </div>
      <CardPreview label={t('cardCamera.cameraLabel')} caption={t('cardCamera.frameGuide')} hint={hint} feed={capture.feed} />
    </Screen>
  );
}

export function IdCard(props: {
  view: View;
  device: DeviceStatusEvent | undefined;
  actions: CandidateActions;
  busy: Busy;
  /** This desk can read cards with the camera (`AppInfo.cameraReadsCards`). */
  cameraReadsCards?: boolean;
}) {
  const { t } = useI18n();
  const { view } = props;
  // A command that reads the card (the camera, or "try again") ends the signs of its read: those of
  // a run that ended never show as a read going on, even when the result kept the attempt.
  const running = props.busy.has('readCardByCamera') || props.busy.has('retry');
  const run = useRef({ running: false, generation: 0 });
  if (run.current.running && !running) run.current.generation += 1;
  run.current.running = running;
  const capture = useCardCapture(`${captureKey(view)}#${run.current.generation}`);
  const failed = view.lastReason !== null;
  if (view.cardDevice === 'camera') {
    // The camera reads while its command runs, and from its first sign (a waiting status, a hint, a
    // frame) for this attempt until the result; before the first read, too. Otherwise the last read
    // failed (its reason stays in the view).
    const live = capture.active || running || !failed;
    return <CardCamera view={view} capture={capture} live={live} actions={props.actions} busy={props.busy} />;
  }
  const problem = props.device?.state === 'problem';
  const status = problem ? t('idCard.deviceProblem') : props.device?.state === 'ok' ? t('idCard.reading') : t('idCard.waiting');
  return (
    <Screen
      name="idcard"
      title={t('idCard.title')}
      lead={t('idCard.lead')}
      view={view}
      actions={
        failed ? (
          <>
            {props.cameraReadsCards ? (
              <Button variant="secondary" id="use-camera" busy={props.busy.has('readCardByCamera')} onClick={props.actions.readCardByCamera}>
                {t('idCard.useCamera')}
              </Button>
            ) : null}
            <Button id="retry" busy={props.busy.has('retry')} onClick={props.actions.retry}>
              {t('common.retry')}
            </Button>
          </>
        ) : undefined
      }
    >
      <div class={`reader-stage ${failed ? 'is-failed' : ''}`}>
        <CardReaderIllustration label={t('idCard.illustration')} />
        {failed ? (
          <ReasonNotice reason={view.lastReason!} title={t('idCard.failedTitle')} id="last-reason" />
        ) : (
          <p class={`status-line ${problem ? 'status-line--problem' : ''}`} role="status" aria-live="polite">
            {problem ? null : <span class="spinner spinner--inline" aria-hidden="true" />}
            {status}
          </p>
        )}
      </div>
    </Screen>
  );
}
