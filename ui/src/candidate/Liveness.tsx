import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Button, Icon, ReasonNotice, useCountdown } from '../components';
import { useI18n } from '../i18n';
import { digitPrompts, prompts } from '../prompts';
import type { View } from '../types';
import { CameraPreview } from './Camera';
import { secondsLeft, useCameraFeed } from './cameraFeed';
import { Screen, type Busy, type CandidateActions } from './Screen';

const RING_RADIUS = 54;
const RING_LENGTH = 2 * Math.PI * RING_RADIUS;

/**
 * A ring that empties over `seconds`, with the seconds left in the middle. With `fraction` (the
 * part of the time still left, 0..1) the ring follows it; without, it empties by itself.
 */
export function CountdownRing(props: { seconds: number; left: number; label: string; fraction?: number }) {
  const live = props.fraction !== undefined;
  const offset = RING_LENGTH * (1 - Math.min(1, Math.max(0, props.fraction ?? 1)));
  return (
    <div class="ring" role="timer" aria-label={props.label}>
      <svg viewBox="0 0 120 120" aria-hidden="true">
        <circle cx="60" cy="60" r={RING_RADIUS} class="ring__track" />
        <circle
          cx="60"
          cy="60"
          r={RING_RADIUS}
          class={`ring__bar ${live ? 'ring__bar--live' : ''}`}
          stroke-dasharray={RING_LENGTH.toFixed(2)}
          style={
            live
              ? { strokeDashoffset: offset.toFixed(2) }
              : { animationDuration: `${props.seconds}s`, '--ring-length': RING_LENGTH.toFixed(2) }
          }
        />
      </svg>
      <span class="ring__value" aria-hidden="true">
        {props.left}
      </span>
    </div>
  );
}

/** How long new digits wait for their first camera frame before showing the timed recording. */
export const FIRST_FRAME_GRACE_MS = 1500;

export function Liveness(props: { view: View; actions: CandidateActions; busy: Busy }) {
  const { t, locale } = useI18n();
  const { view } = props;
  const challenge = view.challenge;
  const challengeKey = challenge ? `${view.attempt}:${challenge.digits}` : null;
  const feed = useCameraFeed('liveness', challengeKey);
  // The camera frames say whether the digits are in their lead-in or the clip records. Without one
  // for this challenge (an older kiosk), the digits on screen mean the clip records, as before.
  const live = challenge && feed.latest && feed.latest.phase !== 'framing' ? feed.latest : null;
  // The step's view arrives before the first camera frame of its lead-in (the frame still has to
  // be scaled, searched for faces and encoded): for FIRST_FRAME_GRACE_MS the digits wait for it,
  // not recording; only a kiosk without the preview then shows the timed recording.
  const [graceOver, setGraceOver] = useState<string | null>(null);
  useEffect(() => {
    if (!challengeKey) return;
    const timer = setTimeout(() => setGraceOver(challengeKey), FIRST_FRAME_GRACE_MS);
    return () => clearTimeout(timer);
  }, [challengeKey]);
  const waiting = challenge !== null && !live && graceOver !== challengeKey;
  const phase = live ? live.phase : waiting ? 'waiting' : null;
  const left = useCountdown(challenge && !live && !waiting ? challenge.seconds : null, challengeKey);
  const failed = view.lastReason !== null && !challenge;

  const [muted, setMuted] = useState(prompts.muted);
  useEffect(() => prompts.onMutedChange(setMuted), []);

  // The digits are spoken once per challenge, in the lead-in; once the clip records nothing plays.
  const spokenFor = useRef<string | null>(null);
  useEffect(() => {
    if (phase !== 'leadIn' || !challenge || spokenFor.current === challengeKey) return;
    spokenFor.current = challengeKey;
    void prompts.play(locale, digitPrompts(challenge.digits));
  }, [phase, challengeKey]);
  const recording = phase === 'recording';
  useLayoutEffect(() => {
    if (!recording) return;
    prompts.setRecording(true);
    return () => prompts.setRecording(false);
  }, [recording]);

  let panel;
  if (challenge) {
    const leadIn = (live !== null && live.phase === 'leadIn') || waiting;
    const ringLeft = live ? secondsLeft(live.remainingMs) : (left ?? challenge.seconds);
    panel = (
      <div class={`digits-panel ${leadIn ? 'digits-panel--lead-in' : ''}`} data-testid="challenge" data-phase={phase ?? undefined}>
        <div class="digits-panel__status" role="status">
          {leadIn ? (
            <p class="lead-in" id="lead-in">
              <Icon name={muted ? 'info' : 'sound'} />
              <span>{t(muted ? 'liveness.leadInMuted' : 'liveness.leadIn')}</span>
            </p>
          ) : (
            <p class="recording">
              <span class="recording__dot" aria-hidden="true" />
              {t('liveness.recording')}
            </p>
          )}
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
        {waiting ? null : leadIn && live ? (
          <p class="lead-in__start" id="lead-in-start">
            {t('liveness.startsIn', { n: secondsLeft(live.remainingMs) })}
          </p>
        ) : (
          <CountdownRing
            key={`${challengeKey}-${live ? 'live' : 'timed'}`}
            seconds={challenge.seconds}
            left={ringLeft}
            label={t('liveness.secondsLeft', { n: ringLeft })}
            fraction={live ? live.remainingMs / (challenge.seconds * 1000) : undefined}
          />
        )}
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
      <CameraPreview
        guide="face"
        label={t('liveness.cameraLabel')}
        hint={t('liveness.faceGuide')}
        feed={feed}
        recording={phase ? recording : !!challenge}
      />
    </Screen>
  );
}
