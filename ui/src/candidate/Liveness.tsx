import { Button, ReasonNotice, useCountdown } from '../components';
import { useI18n } from '../i18n';
import type { View } from '../types';
import { CameraPreview } from './Camera';
import { Screen, type Busy, type CandidateActions } from './Screen';

const RING_RADIUS = 54;
const RING_LENGTH = 2 * Math.PI * RING_RADIUS;

/** A ring that empties over `seconds`, with the seconds left in the middle. */
export function CountdownRing(props: { seconds: number; left: number; label: string }) {
  return (
    <div class="ring" role="timer" aria-label={props.label}>
      <svg viewBox="0 0 120 120" aria-hidden="true">
        <circle cx="60" cy="60" r={RING_RADIUS} class="ring__track" />
        <circle
          cx="60"
          cy="60"
          r={RING_RADIUS}
          class="ring__bar"
          stroke-dasharray={RING_LENGTH.toFixed(2)}
          style={{ animationDuration: `${props.seconds}s`, '--ring-length': RING_LENGTH.toFixed(2) }}
        />
      </svg>
      <span class="ring__value" aria-hidden="true">
        {props.left}
      </span>
    </div>
  );
}

export function Liveness(props: { view: View; actions: CandidateActions; busy: Busy }) {
  const { t } = useI18n();
  const { view } = props;
  const challenge = view.challenge;
  const left = useCountdown(challenge ? challenge.seconds : null, challenge?.digits);
  const failed = view.lastReason !== null && !challenge;

  let panel;
  if (challenge) {
    panel = (
      <div class="digits-panel" data-testid="challenge">
        <div class="recording" role="status">
          <span class="recording__dot" aria-hidden="true" />
          {t('liveness.recording')}
        </div>
        <p
          class="digits"
          id="digits"
          aria-label={t('liveness.digitsLabel', { digits: [...challenge.digits].join(' ') })}
          style={{ '--digit-count': String(challenge.digits.length) }}
        >
          {[...challenge.digits].map((digit, i) => (
            <span class="digits__digit" key={`${i}-${digit}`} aria-hidden="true">
              {digit}
            </span>
          ))}
        </p>
        <CountdownRing
          key={challenge.digits}
          seconds={challenge.seconds}
          left={left ?? challenge.seconds}
          label={t('liveness.secondsLeft', { n: left ?? challenge.seconds })}
        />
      </div>
    );
  } else if (failed) {
    panel = (
      <div class="digits-panel digits-panel--failed">
        <ReasonNotice reason={view.lastReason!} title={t('liveness.failedTitle')} id="last-reason" />
      </div>
    );
  } else {
    panel = (
      <div class="digits-panel digits-panel--waiting">
        <p class="status-line" role="status">
          <span class="spinner spinner--inline" aria-hidden="true" />
          {t('liveness.preparing')}
        </p>
      </div>
    );
  }

  return (
    <Screen
      name="liveness"
      title={t('liveness.title')}
      lead={t('liveness.lead')}
      view={view}
      class="screen--split"
      actions={
        failed ? (
          <Button id="retry" busy={props.busy.has('retry')} onClick={props.actions.retry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    >
      {panel}
      <CameraPreview guide="face" label={t('liveness.cameraLabel')} hint={t('liveness.faceGuide')} recording={!!challenge} />
    </Screen>
  );
}
